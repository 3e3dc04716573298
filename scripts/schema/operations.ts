/**
 * Client operations against a schema: validation and the schema coordinates each one uses. Loading
 * the files and the manifest live in src/gateway/client-operations.ts (the gateway serves them as
 * persisted operations) and are re-exported here for the schema scripts.
 */
import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  Kind,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { ClientOperation } from '../../src/gateway/client-operations.js';

export {
  type ClientOperation,
  loadClientOperations,
  OperationFilesError,
  persistedOperationManifest,
} from '../../src/gateway/client-operations.js';

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
