/** Finds Switchyard API keys in files: the leaked-key response of the incident playbook. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY_PATTERN, type KeyEnvironment, parseApiKey } from '../auth/api-key-format.js';

export interface FoundKey {
  keyId: string;
  environment: KeyEnvironment;
  file: string;
  line: number;
}

const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'coverage']);
const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Every checksum-valid key in the files under `paths` (directories are walked). Never returns a secret. */
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
      found.push({ keyId: parsed.keyId, environment: parsed.environment, file: path, line });
    }
  };
  for (const path of paths) visit(path);
  return found;
}
