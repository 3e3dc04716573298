/**
 * One analysis of each operation, shared by every policy that reads the document: signatures (which
 * operations need one, which scopes the signing key must hold), scopes, rate limits, the response
 * cache's invalidation, and the introspection gate. Policies never walk the document themselves, so
 * no policy can see a different operation than the one that executes.
 *
 * The walk follows graphql-js's own field collection (`collectFields`), the rules execution uses:
 * - only the selected operation (`operationName`) counts, never the document's other operations;
 * - fragment spreads and inline fragments are expanded, a named fragment once per selection set
 *   (execution merges a repeated spread), and `@skip`/`@include` are honoured with the request's
 *   variables (and the variables' defaults);
 * - fields are grouped by response key as execution groups them: two aliases are two executions,
 *   the same alias twice (same field and arguments, or validation refuses it) is one.
 * So `occurrences` holds one entry per field the executor resolves per parent object: 15 aliased
 * `placeOrder` are 15 root occurrences, wherever they hide.
 *
 * For an abstract parent type (interface, union) the runtime type is not known before execution:
 * every possible type is assumed, which can only over-count (the safe direction for every policy).
 *
 * The result depends on the document, the operation name and the values of the variables that
 * `@skip`/`@include` read, and on nothing else; it is cached on exactly that.
 */
import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';
import { satisfiesScopes } from '../auth/scopes.js';
import { policyEntries, type SchemaPolicy, type ScopeRequirement, schemaPolicy } from './schema-policy.js';

export type { ScopeRequirement } from './schema-policy.js';

/** One field the executor resolves (per parent object). */
export interface FieldOccurrence {
  /** `Type.field`. */
  readonly coordinate: string;
  /** Whether it is a root field of the operation. */
  readonly root: boolean;
  /** Index of the parent occurrence in `occurrences` (parents come first), -1 for a root field. */
  readonly parent: number;
  readonly field: GraphQLField<unknown, unknown>;
  /** The first node of the field (merged nodes share name and arguments, or validation refuses). */
  readonly node: FieldNode;
  /** Path of response keys from the root, e.g. `["a", "positions", "token"]`. */
  readonly path: readonly string[];
  /**
   * The `@requiresScopes` requirements on the way from the root to this field, itself included: the
   * field resolves only for a principal that meets every one (a refused parent resolves no child).
   */
  readonly guards: readonly ScopeRequirement[];
}

export interface OperationAnalysis {
  readonly operation: OperationDefinitionNode;
  readonly kind: 'query' | 'mutation' | 'subscription';
  /** The root fields' coordinates, one per occurrence (aliases count). */
  readonly rootFields: readonly string[];
  /** Every field resolved, one per occurrence (`__typename` and introspection excluded). */
  readonly occurrences: readonly FieldOccurrence[];
  /** The coordinates resolved at least once. */
  readonly coordinates: ReadonlySet<string>;
  /** Whether the operation reads `__schema` or `__type`. */
  readonly introspection: boolean;
  /** Whether it selects a field marked `@signed` (every mutation needs a signature anyway). */
  readonly selectsSignedField: boolean;
  /** The policy of the schema it was analysed against (what the cost estimate weighs it with). */
  readonly policy: SchemaPolicy;
}

/** Raw request variables, as the policies see them before execution coerces them. */
export type AnalysisVariables = Readonly<Record<string, unknown>> | null | undefined;

export interface OperationAnalyzer {
  /**
   * The analysis of the operation `operationName` (or the only one) of a validated document; null
   * when there is no such operation. Throws OperationTooLargeError past `maxOccurrences`.
   */
  analyze(
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: AnalysisVariables,
  ): OperationAnalysis | null;
  /** `@requiresScopes` by coordinate, read from the schema once. */
  readonly scopes: ReadonlyMap<string, ScopeRequirement>;
  /** Every field policy of the schema, by coordinate (schema-policy.ts). */
  readonly policy: SchemaPolicy;
  readonly schema: GraphQLSchema;
}

export interface OperationAnalyzerOptions {
  /**
   * Most field occurrences one operation may resolve (per parent object). Query protection bounds
   * depth, aliases and tokens first; this bounds the walk itself whatever fragments multiply.
   * @default 5000
   */
  maxOccurrences?: number;
}

/** An operation whose field tree is larger than the analyzer walks. */
export class OperationTooLargeError extends Error {
  override readonly name = 'OperationTooLargeError';
  readonly code = 'OPERATION_TOO_LARGE';
}

/** Per document and operation: the variables @skip/@include read, and the analyses by their values. */
interface DocumentEntry {
  readonly conditionVariables: readonly string[];
  readonly defaults: ReadonlyMap<string, unknown>;
  readonly byConditions: Map<string, OperationAnalysis>;
}

/** Analyses kept per document and operation: one per combination of @skip/@include values, bounded. */
const MAX_CONDITION_ENTRIES = 64;

export function createOperationAnalyzer(
  schema: GraphQLSchema,
  { maxOccurrences = 5000 }: OperationAnalyzerOptions = {},
): OperationAnalyzer {
  const policy = schemaPolicy(schema);
  const scopes: ReadonlyMap<string, ScopeRequirement> = new Map(policyEntries(policy, 'scopes'));
  const signedFields = new Set(policyEntries(policy, 'signed').map(([coordinate]) => coordinate));
  const cache = new WeakMap<DocumentNode, Map<string, DocumentEntry | null>>();

  function entryOf(document: DocumentNode, operationName: string | null | undefined) {
    let byOperation = cache.get(document);
    if (!byOperation) {
      byOperation = new Map();
      cache.set(document, byOperation);
    }
    const name = operationName ?? '';
    let entry = byOperation.get(name);
    if (entry === undefined) {
      const operation = getOperationAST(document, operationName);
      entry = operation ? { ...conditionVariablesOf(document, operation), byConditions: new Map() } : null;
      byOperation.set(name, entry);
    }
    return entry;
  }

  return {
    schema,
    scopes,
    policy,
    analyze(document, operationName, variables) {
      const entry = entryOf(document, operationName);
      if (!entry) return null;
      const values = entry.conditionVariables.map((name) =>
        variables && Object.hasOwn(variables, name) ? variables[name] : entry.defaults.get(name),
      );
      // Only booleans decide; any other value fails variable coercion, so nothing executes then.
      const key = values.map((value) => (value === true ? '1' : value === false ? '0' : '-')).join('');
      let analysis = entry.byConditions.get(key);
      if (!analysis) {
        const conditions = new Map(entry.conditionVariables.map((name, i) => [name, values[i]]));
        analysis = walk(
          schema,
          document,
          operationName,
          conditions,
          policy,
          scopes,
          signedFields,
          maxOccurrences,
        );
        if (entry.byConditions.size < MAX_CONDITION_ENTRIES) entry.byConditions.set(key, analysis);
      }
      return analysis;
    },
  };
}

/**
 * Whether a principal's scopes meet every requirement on an occurrence's path (null: anonymous,
 * which meets none).
 */
export function mayResolve(occurrence: FieldOccurrence, granted: ReadonlySet<string> | null): boolean {
  if (occurrence.guards.length === 0) return true;
  if (!granted) return false;
  return occurrence.guards.every((required) => satisfiesScopes(granted, required));
}

function walk(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  conditions: ReadonlyMap<string, unknown>,
  policy: SchemaPolicy,
  scopes: ReadonlyMap<string, ScopeRequirement>,
  signedFields: ReadonlySet<string>,
  maxOccurrences: number,
): OperationAnalysis {
  const operation = getOperationAST(document, operationName)!;
  const root = schema.getRootType(operation.operation);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const occurrences: FieldOccurrence[] = [];
  let introspection = false;

  const included = (directives: readonly DirectiveNode[] | undefined): boolean => {
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const arg = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      const value =
        arg?.kind === Kind.VARIABLE
          ? conditions.get(arg.name.value)
          : arg
            ? valueFromASTUntyped(arg)
            : undefined;
      if (name === 'skip' && value === true) return false;
      if (name === 'include' && value !== true) return false;
    }
    return true;
  };

  /** Object types a selection on `type` can resolve on at run time. */
  const runtimeTypes = (type: GraphQLCompositeType): readonly GraphQLObjectType[] =>
    isAbstractType(type) ? schema.getPossibleTypes(type) : [type];

  const conditionMatches = (condition: string | undefined, runtime: GraphQLObjectType): boolean => {
    if (condition === undefined || condition === runtime.name) return true;
    const type = schema.getType(condition);
    return type !== undefined && isAbstractType(type) && schema.isSubType(type, runtime);
  };

  /** graphql-js's collectFields for one runtime type: response key → its field nodes. */
  const collect = (
    runtime: GraphQLObjectType,
    selectionSet: SelectionSetNode,
    fields: Map<string, FieldNode[]>,
    visited: Set<string>,
  ): void => {
    for (const selection of selectionSet.selections) {
      if (!included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const nodes = fields.get(key);
        if (nodes) nodes.push(selection);
        else fields.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (conditionMatches(selection.typeCondition?.name.value, runtime))
          collect(runtime, selection.selectionSet, fields, visited);
      } else {
        const name = selection.name.value;
        if (visited.has(name)) continue;
        visited.add(name);
        const fragment = fragments.get(name);
        if (fragment && conditionMatches(fragment.typeCondition.name.value, runtime))
          collect(runtime, fragment.selectionSet, fields, visited);
      }
    }
  };

  const visit = (
    parent: GraphQLCompositeType,
    selectionSets: readonly SelectionSetNode[],
    path: readonly string[],
    guards: readonly ScopeRequirement[],
    parentIndex: number,
  ): void => {
    for (const runtime of runtimeTypes(parent)) {
      const fields = new Map<string, FieldNode[]>();
      for (const selectionSet of selectionSets) collect(runtime, selectionSet, fields, new Set());
      for (const [key, nodes] of fields) {
        const name = nodes[0]!.name.value;
        if (name === '__typename') continue;
        if (name === '__schema' || name === '__type') {
          introspection = true;
          continue;
        }
        const field: GraphQLField<unknown, unknown> | undefined = runtime.getFields()[name];
        if (!field) continue; // validation refuses unknown fields before anything executes
        const coordinate = `${runtime.name}.${name}`;
        const required = scopes.get(coordinate);
        const fieldGuards = required ? [...guards, required] : guards;
        const fieldPath = [...path, key];
        if (occurrences.length >= maxOccurrences) {
          throw new OperationTooLargeError(`the operation resolves more than ${maxOccurrences} fields`);
        }
        const index = occurrences.length;
        occurrences.push({
          coordinate,
          root: parentIndex < 0,
          parent: parentIndex,
          field,
          node: nodes[0]!,
          path: fieldPath,
          guards: fieldGuards,
        });
        const type = getNamedType(field.type);
        if (isCompositeType(type)) {
          const subSelections = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
          if (subSelections.length > 0) visit(type, subSelections, fieldPath, fieldGuards, index);
        }
      }
    }
  };

  if (root) visit(root, [operation.selectionSet], [], [], -1);
  const rootFields = occurrences.filter((o) => o.root).map((o) => o.coordinate);
  const coordinates = new Set(occurrences.map((o) => o.coordinate));
  return {
    operation,
    kind: operation.operation as OperationAnalysis['kind'],
    rootFields,
    occurrences,
    coordinates,
    introspection,
    selectsSignedField: [...coordinates].some((c) => signedFields.has(c)),
    policy,
  };
}

/** The variables @skip/@include read anywhere in the operation or its fragments, with their defaults. */
function conditionVariablesOf(
  document: DocumentNode,
  operation: OperationDefinitionNode,
): { conditionVariables: string[]; defaults: Map<string, unknown> } {
  const names = new Set<string>();
  const scan = (node: unknown): void => {
    // An explicit stack: documents are bounded by the token limit, but recursion depth is not ours to spend.
    const stack = [node];
    while (stack.length > 0) {
      const current = stack.pop();
      if (Array.isArray(current)) {
        stack.push(...current);
        continue;
      }
      if (!current || typeof current !== 'object') continue;
      const n = current as { kind?: string; name?: { value: string }; arguments?: unknown };
      if (n.kind === Kind.DIRECTIVE && (n.name?.value === 'skip' || n.name?.value === 'include')) {
        for (const arg of (current as DirectiveNode).arguments ?? []) {
          if (arg.value.kind === Kind.VARIABLE) names.add(arg.value.name.value);
        }
      }
      for (const [key, value] of Object.entries(current)) {
        if (key !== 'loc' && value && typeof value === 'object') stack.push(value);
      }
    }
  };
  scan(operation.selectionSet);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) scan(definition.selectionSet);
  }
  const defaults = new Map<string, unknown>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue && names.has(definition.variable.name.value))
      defaults.set(definition.variable.name.value, valueFromASTUntyped(definition.defaultValue));
  }
  return { conditionVariables: [...names].sort(), defaults };
}
