/**
 * The reviewed allowlist of breaking changes (schema/breaking-changes-allowlist.yaml): a breaking
 * change passes schema:check only when an entry names its type and path and says why it is safe.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ALLOWLIST_FILE, repoPath } from './paths.js';

/** One accepted breaking change. */
export interface AllowedChange {
  /** @graphql-inspector change type, e.g. `FIELD_REMOVED`. */
  readonly type: string;
  /** Schema path as schema:check prints it, e.g. `Token.chain`. */
  readonly path: string;
  /** Why clients are not hurt, or who agreed to break them: reviewed in the pull request. */
  readonly reason: string;
  /**
   * Client operations reviewed for this change, which keep passing: only for an output field that
   * becomes nullable (the operation stays valid; its client must render the null). Any other change
   * to what an operation uses still breaks it.
   */
  readonly operations?: readonly string[];
}

/** A malformed allowlist: the check fails rather than guess. */
export class AllowlistError extends Error {
  override readonly name = 'AllowlistError';
  readonly code = 'ALLOWLIST_INVALID';
}

const MIN_REASON_LENGTH = 10;

/** Parses allowlist YAML text: `breaking: [{ type, path, reason }]`; an empty file allows nothing. */
export function parseAllowlist(text: string, source = ALLOWLIST_FILE): AllowedChange[] {
  const document: unknown = parse(text) ?? {};
  const entries = (document as { breaking?: unknown }).breaking ?? [];
  if (typeof document !== 'object' || !Array.isArray(entries)) {
    throw new AllowlistError(`${source}: expected \`breaking:\` to be a list of { type, path, reason }`);
  }
  const problems: string[] = [];
  const allowed = entries.flatMap((entry: unknown, index): AllowedChange[] => {
    const { type, path, reason, operations } = (entry ?? {}) as Record<string, unknown>;
    const at = `${source}: breaking[${index}]`;
    if (typeof type !== 'string' || !/^[A-Z_]+$/.test(type))
      problems.push(`${at}: type must be a change type such as FIELD_REMOVED`);
    if (typeof path !== 'string' || path === '')
      problems.push(`${at}: path must be a schema path such as Token.chain`);
    if (typeof reason !== 'string' || reason.trim().length < MIN_REASON_LENGTH) {
      problems.push(
        `${at}: reason must say why the break is acceptable (at least ${MIN_REASON_LENGTH} characters)`,
      );
    }
    const names = operations === undefined ? undefined : operations;
    if (
      names !== undefined &&
      !(Array.isArray(names) && names.every((n) => typeof n === 'string' && n !== ''))
    )
      problems.push(`${at}: operations must be a list of client operation names`);
    return typeof type === 'string' && typeof path === 'string' && typeof reason === 'string'
      ? [
          {
            type,
            path,
            reason: reason.trim(),
            ...(Array.isArray(names) ? { operations: names as string[] } : {}),
          },
        ]
      : [];
  });
  if (problems.length > 0) throw new AllowlistError(problems.join('\n'));
  return allowed;
}

/** Reads the allowlist file; a missing file allows nothing. */
export function loadAllowlist(file: string = ALLOWLIST_FILE): AllowedChange[] {
  const path = repoPath(file);
  return existsSync(path) ? parseAllowlist(readFileSync(path, 'utf8'), file) : [];
}
