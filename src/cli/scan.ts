/**
 * Finds Switchyard API keys in files: the leaked-key response of the incident playbook. A match is
 * checksum-valid, which anyone can compute: key ids are public, so a string carrying a victim's key
 * id proves nothing. Only a key confirmed against its stored hash is revoked; the rest is reported
 * as suspicious.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'coverage']);
const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Every checksum-valid key in the files under `paths` (directories are walked). */
export function scanForKeys(paths: readonly string[]): FoundKey[] {
  const found: FoundKey[] = [];
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (!SKIPPED_DIRS.has(entry)) visit(join(path, entry));
      return;
    }
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return;
    const text = readFileSync(path, 'utf8');
    if (!text.includes('sy_')) return;
    for (const match of text.matchAll(API_KEY_PATTERN)) {
      const parsed = parseApiKey(match[0]);
      if (!parsed) continue; // right shape, wrong checksum: not one of ours
      const line = text.slice(0, match.index).split('\n').length;
      const key = { keyId: parsed.keyId, environment: parsed.environment, file: path, line };
      found.push(Object.defineProperty(key, 'presented', { value: match[0], enumerable: false }) as FoundKey);
    }
  };
  for (const path of paths) visit(path);
  return found;
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
