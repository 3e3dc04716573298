/** Where the schema artifacts live; relative paths are what reports print, `repoPath` what code opens. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is scripts/schema/paths.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The composed public SDL, committed: the baseline of breaking-change checks. */
export const PUBLIC_SCHEMA_FILE = 'schema/schema.graphql';
/** Reviewed list of accepted breaking changes, each with a reason. */
export const ALLOWLIST_FILE = 'schema/breaking-changes-allowlist.yaml';
/** Client operations, one folder per client (`web/`, `mobile/`), one named operation per file. */
export const OPERATIONS_DIR = 'schema/operations';

/** Absolute path of a repository-relative path. */
export function repoPath(relative: string): string {
  return resolve(REPO_ROOT, relative);
}
