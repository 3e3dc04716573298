/**
 * Finds Switchyard API keys in files: the leaked-key response of the incident playbook. A match is
 * checksum-valid, which anyone can compute: key ids are public, so a string carrying a victim's key
 * id proves nothing. Only a key confirmed against its stored hash is revoked; the rest is reported
 * as suspicious.
 */
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY_PATTERN, type KeyEnvironment, parseApiKey } from '../auth/api-key-format.js';
import type { KeyService } from '../keys/service.js';

export interface FoundKey {
  keyId: string;
  environment: KeyEnvironment;
  file: string;
  line: number;
  /**
   * The matched string itself, kept in memory only to confirm it against the store. Not
   * enumerable: JSON, inspection and spreading never show it. Never print or log it.
   */
  readonly presented: string;
}

/** A path the scan did not read, and why: reported, so that "0 keys" never hides a blind spot. */
export interface SkippedPath {
  path: string;
  reason:
    | 'dependencies'
    | 'version-control'
    | 'symlink'
    | 'binary'
    | 'too-large'
    | 'unreadable'
    | 'not-a-file';
  /** The error code of an unreadable path, the size of a large file. */
  detail?: string;
}

export interface ScanReport {
  found: FoundKey[];
  skipped: SkippedPath[];
  filesScanned: number;
}

export interface ScanOptions {
  /** Also walk node_modules and .git. Build output (dist/, build/) is always scanned. @default false */
  allDirs?: boolean;
  /** Larger files are skipped (and reported). @default 10 MiB */
  maxFileBytes?: number;
}

/** Directory names not walked unless `allDirs`: other people's code and the object store. */
const SKIPPED_DIRS = new Map<string, SkippedPath['reason']>([
  ['node_modules', 'dependencies'],
  ['.git', 'version-control'],
]);
/** Bytes sniffed for a NUL: a file with one there is binary. */
const SNIFF_BYTES = 8192;

function isBinary(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    return head.subarray(0, readSync(fd, head, 0, SNIFF_BYTES, 0)).includes(0);
  } finally {
    closeSync(fd);
  }
}

/**
 * Every checksum-valid key in the files under `paths` (directories are walked, symlinks inside
 * them are not followed), and every path not read with the reason. A path given that does not
 * exist throws (ENOENT).
 */
export function scanForKeys(paths: readonly string[], options: ScanOptions = {}): ScanReport {
  const { allDirs = false, maxFileBytes = 10 * 1024 * 1024 } = options;
  const report: ScanReport = { found: [], skipped: [], filesScanned: 0 };
  const skip = (path: string, reason: SkippedPath['reason'], detail?: string) =>
    report.skipped.push(detail === undefined ? { path, reason } : { path, reason, detail });
  const readFile = (path: string, size: number) => {
    if (size > maxFileBytes) return skip(path, 'too-large', `${size} bytes`);
    if (isBinary(path)) return skip(path, 'binary');
    const text = readFileSync(path, 'utf8');
    report.filesScanned++;
    if (!text.includes('sy_')) return;
    for (const match of text.matchAll(API_KEY_PATTERN)) {
      const parsed = parseApiKey(match[0]);
      if (!parsed) continue; // right shape, wrong checksum: not one of ours
      const line = text.slice(0, match.index).split('\n').length;
      const key = { keyId: parsed.keyId, environment: parsed.environment, file: path, line };
      report.found.push(
        Object.defineProperty(key, 'presented', { value: match[0], enumerable: false }) as FoundKey,
      );
    }
  };
  const visit = (path: string, top: boolean) => {
    try {
      // A path given is followed if it is a link; links met while walking are not (loops, escapes).
      const stat = top ? statSync(path) : lstatSync(path);
      if (stat.isSymbolicLink()) return skip(path, 'symlink');
      if (stat.isDirectory()) {
        for (const entry of readdirSync(path).sort()) {
          const reason = SKIPPED_DIRS.get(entry);
          if (reason && !allDirs) skip(join(path, entry), reason);
          else visit(join(path, entry), false);
        }
        return;
      }
      if (!stat.isFile()) return skip(path, 'not-a-file');
      readFile(path, stat.size);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (top && code === 'ENOENT') throw err;
      skip(path, 'unreadable', code ?? (err as Error).message);
    }
  };
  for (const path of paths) visit(path, true);
  return report;
}

/** What `--revoke` did with one distinct string found (never the string itself). */
export interface LeakOutcome {
  keyId: string;
  /** `file:line` of every place the string was found. */
  where: string[];
  /** revoked: confirmed against its stored hash and revoked; suspicious: not a stored key. */
  outcome: 'revoked' | 'suspicious' | 'failed';
  error?: string;
}

/**
 * Confirms each distinct found string against the store and revokes only confirmed keys. A
 * checksum-valid string whose hash matches no stored key (forged around a public key id, or a key
 * of another deployment) is `suspicious` and revokes nothing.
 */
export async function revokeConfirmed(
  found: readonly FoundKey[],
  keys: Pick<KeyService, 'confirmLeak' | 'revoke'>,
  { actor, reason }: { actor: string; reason?: string | undefined },
): Promise<LeakOutcome[]> {
  const byString = new Map<string, FoundKey[]>();
  for (const f of found) byString.set(f.presented, [...(byString.get(f.presented) ?? []), f]);
  const outcomes: LeakOutcome[] = [];
  for (const [presented, places] of byString) {
    const where = places.map((p) => `${p.file}:${p.line}`);
    const keyId = places[0]!.keyId;
    const record = await keys.confirmLeak(presented);
    if (!record) {
      outcomes.push({ keyId, where, outcome: 'suspicious' });
      continue;
    }
    try {
      await keys.revoke(record.keyId, reason ?? `found by keys scan in ${where.join(', ')}`, actor);
      outcomes.push({ keyId, where, outcome: 'revoked' });
    } catch (err) {
      outcomes.push({ keyId, where, outcome: 'failed', error: (err as Error).message });
    }
  }
  return outcomes;
}
