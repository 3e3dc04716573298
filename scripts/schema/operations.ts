/**
 * Client operations (schema/operations/<client>/<name>.graphql): what shipped apps send. Each file
 * holds exactly one named operation and the fragments it uses, so a file is a whole document: its
 * normalised body and sha256 are what a persisted-operation manifest will hold.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  Kind,
  parse,
  print,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { OPERATIONS_DIR, REPO_ROOT, repoPath } from './paths.js';

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
export function loadClientOperations(dir: string = repoPath(OPERATIONS_DIR)): ClientOperation[] {
  const problems: string[] = [];
  const operations: ClientOperation[] = [];
  const byName = new Map<string, string>();
  for (const path of graphqlFiles(dir)) {
    const file = relative(REPO_ROOT, path);
    const folders = relative(dir, path).split('/');
    if (folders.length !== 2) {
      problems.push(`${file}: must sit in a client folder, e.g. ${OPERATIONS_DIR}/web/token-list.graphql`);
      continue;
    }
    let document: DocumentNode;
    try {
      document = parse(readFileSync(path, 'utf8'));
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
      body,
      id: createHash('sha256').update(body).digest('hex'),
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

/** Why an operation would break against a schema. */
export interface OperationProblem {
  readonly operation: ClientOperation;
  /** The schema coordinate involved (`Token.chain`, `Query.token.id`), when known. */
  readonly coordinate?: string;
  readonly message: string;
}

function where(operation: ClientOperation, error: GraphQLError): string {
  const location = error.locations?.[0];
  return location ? `${operation.file}:${location.line}:${location.column}` : operation.file;
}

/** Validates every operation against a schema (graphql-js rules: fields, arguments, variable types). */
export function validateOperations(
  schema: GraphQLSchema,
  operations: readonly ClientOperation[],
): OperationProblem[] {
  return operations.flatMap((operation) =>
    validate(schema, operation.document).map((error) => ({
      operation,
      message: `${error.message} (${where(operation, error)})`,
    })),
  );
}

/**
 * The schema coordinates an operation depends on, read against `schema`: every field it selects
 * (`Type.field`), every argument it passes (`Type.field.arg`), every enum it reads, and every input
 * type it sends with all of its fields and enums (a new required input field breaks a sender even
 * when the operation does not name it). Fields the schema does not know are skipped.
 */
export function coordinatesUsed(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const used = new Set<string>();
  const addInput = (type: GraphQLNamedType): void => {
    if (used.has(type.name)) return;
    if (isEnumType(type)) used.add(type.name);
    if (!isInputObjectType(type)) return;
    used.add(type.name);
    for (const field of Object.values(type.getFields())) {
      used.add(`${type.name}.${field.name}`);
      addInput(getNamedType(field.type));
    }
  };
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field || field.name.startsWith('__')) return;
        used.add(`${parent.name}.${field.name}`);
        const named = getNamedType(field.type);
        if (isEnumType(named)) used.add(named.name);
      },
      Argument() {
        const argument = typeInfo.getArgument();
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!argument || !parent || !field) return;
        used.add(`${parent.name}.${field.name}.${argument.name}`);
        addInput(getNamedType(argument.type));
      },
      VariableDefinition(node) {
        const named = schema.getType(namedTypeName(node.type));
        if (named) addInput(named);
      },
    }),
  );
  return used;
}

function namedTypeName(node: { kind: Kind; type?: unknown; name?: { value: string } }): string {
  return node.kind === Kind.NAMED_TYPE
    ? node.name!.value
    : namedTypeName(node.type as Parameters<typeof namedTypeName>[0]);
}

/** Whether a change at `path` (inspector's `Type.field.arg` form) touches a coordinate in `used`. */
export function touches(used: ReadonlySet<string>, path: string): string | undefined {
  for (const coordinate of used) {
    if (path === coordinate || path.startsWith(`${coordinate}.`) || coordinate.startsWith(`${path}.`)) {
      return coordinate;
    }
  }
  return undefined;
}
