/**
 * Client operations (schema/operations/<client>/<name>.graphql): what shipped apps send. Each file
 * holds exactly one named operation and the fragments it uses, so a file is a whole document: its
 * normalised body and sha256 are its persisted-operation id. The gateway loads them once at boot
 * (persisted operations); the schema scripts (`npm run operations:manifest`, `schema:check`) read
 * them through this module too.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DocumentNode, Kind, parse, print } from 'graphql';

/** The repository root (or `dist/`, where the build copies `schema/`): this file is src/gateway/. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Client operations, one folder per client (`web/`, `mobile/`), one named operation per file. */
export const OPERATIONS_DIR = 'schema/operations';

/** One operation a client ships. */
export interface ClientOperation {
  /** The client that ships it: the folder under schema/operations (`web`, `mobile`). */
  readonly client: string;
  /** Operation name, unique across all clients (logs and metrics tell clients apart by it). */
  readonly name: string;
  readonly type: 'query' | 'mutation' | 'subscription';
  /** Repository-relative path of the file. */
  readonly file: string;
  readonly document: DocumentNode;
  /** The file's text as written (comments included). */
  readonly source: string;
  /** The normalised document (graphql-js `print`): what the persisted-operation id is taken of. */
  readonly body: string;
  /** sha256 of `body`, hex: the persisted-operation id. */
  readonly id: string;
}

/** A malformed operations folder: every problem found, one per line. */
export class OperationFilesError extends Error {
  override readonly name = 'OperationFilesError';
  readonly code = 'OPERATION_FILES_INVALID';
}

/** sha256 of a text, hex: how persisted-operation ids are made. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function graphqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return graphqlFiles(path);
      return entry.endsWith('.graphql') ? [path] : [];
    });
}

/** Reads and checks every operation file, sorted by path; throws OperationFilesError listing all problems. */
export function loadClientOperations(dir: string = join(ROOT, OPERATIONS_DIR)): ClientOperation[] {
  const problems: string[] = [];
  const operations: ClientOperation[] = [];
  const byName = new Map<string, string>();
  for (const path of graphqlFiles(dir)) {
    const file = relative(ROOT, path);
    const folders = relative(dir, path).split('/');
    if (folders.length !== 2) {
      problems.push(`${file}: must sit in a client folder, e.g. ${OPERATIONS_DIR}/web/token-list.graphql`);
      continue;
    }
    const source = readFileSync(path, 'utf8');
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    const defined = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    const [operation] = defined;
    if (defined.length !== 1 || !operation) {
      problems.push(`${file}: must hold exactly one operation (found ${defined.length})`);
      continue;
    }
    const name = operation.name?.value;
    if (!name) {
      problems.push(`${file}: the operation must be named (its name is its stable identity)`);
      continue;
    }
    const other = byName.get(name);
    if (other) {
      problems.push(`${file}: operation name ${name} is already used by ${other}`);
      continue;
    }
    byName.set(name, file);
    const body = print(document);
    operations.push({
      client: folders[0]!,
      name,
      type: operation.operation,
      file,
      document,
      source,
      body,
      id: sha256Hex(body),
    });
  }
  if (problems.length > 0) throw new OperationFilesError(problems.join('\n'));
  return operations;
}

/** The operations as an Apollo-format persisted-query manifest (`id` = sha256 of `body`). */
export function persistedOperationManifest(operations: readonly ClientOperation[]) {
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: operations.map(({ id, name, type, body }) => ({ id, name, type, body })),
  } as const;
}
