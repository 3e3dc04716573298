/**
 * The cost of an operation: how many objects its answer can hold, with lists counted by their size
 * arguments (`tokens(ids:)` by the number of ids, `topTokens(first:)`, `orders(first:)`,
 * `candles(limit:)`) and fields that cost an upstream call per parent weighted extra. The query
 * protection plugin refuses operations over a limit with it; a per-client cost budget can charge it.
 *
 * The model follows the IBM GraphQL cost specification (`@cost` weights, `@listSize` with
 * `assumedSize` and `slicingArguments`), configured here by schema coordinate rather than in SDL:
 *
 *   cost(field) = weight(field) + size(field) × (objectCost | scalarCost + Σ cost(child))
 *
 * where size is 1 for a non-list field. The work that depends only on the document (walking it
 * against the schema) is compiled once into a plan and cached per document; evaluating a plan with
 * variables is a small arithmetic walk, so the cost is cheap to compute on every request.
 * graphql-armor's cost-limit is not used: it weighs lists only by literal `first`/`last` values.
 */
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  getOperationAST,
  isCompositeType,
  isListType,
  Kind,
  type SelectionSetNode,
  type ValueNode,
  valueFromASTUntyped,
} from 'graphql';

/** How big a list field's answer is (IBM cost spec's `@listSize`). */
export interface ListSize {
  /** Items assumed when no slicing argument says how many. */
  readonly assumedSize?: number;
  /**
   * Arguments that give the size: an Int (`first`, `limit`) is the size; a list (`ids`) counts by its
   * length. The largest one given wins.
   */
  readonly slicingArguments?: readonly string[];
}

export interface OperationCostOptions {
  /**
   * Extra weight of a field, each time it is resolved (per parent), by coordinate: fields that cost
   * an upstream call per parent instead of one batched call per request.
   * @default { 'Token.candles': 10 } (the market upstream has no batch endpoint for candles)
   */
  readonly fieldWeights?: Readonly<Record<string, number>>;
  /**
   * List sizes by coordinate. Lists not named here are sliced by an Int argument named `first`,
   * `last` or `limit`, else by the length of a list argument, else `defaultListSize`.
   * @default { 'Portfolio.positions': { assumedSize: 500 } } (the largest account served; the
   * portfolio upstream does not page positions)
   */
  readonly listSizes?: Readonly<Record<string, ListSize>>;
  /** Cost of every object (a composite value) an answer can hold. @default 1 */
  readonly objectCost?: number;
  /** Cost of every scalar or enum value. @default 0 */
  readonly scalarCost?: number;
  /** Extra weight of each mutation root field (it acts, not only reads). @default 10 */
  readonly mutationCost?: number;
  /** Items assumed in a list with neither a slicing argument nor an assumed size. @default 10 */
  readonly defaultListSize?: number;
}

export const defaultFieldWeights: Readonly<Record<string, number>> = { 'Token.candles': 10 };
export const defaultListSizes: Readonly<Record<string, ListSize>> = {
  'Portfolio.positions': { assumedSize: 500 },
};
const GENERIC_SLICING_ARGUMENTS = ['first', 'last', 'limit'];

/** Variables the estimate reads: the request's raw `variables` (before coercion). */
export type CostVariables = Readonly<Record<string, unknown>> | null | undefined;

/** A list size known from the document alone, or read from a variable at evaluation. */
type Size =
  | { readonly kind: 'fixed'; readonly n: number }
  | {
      readonly kind: 'variables';
      /** The largest of: fixed sizes, and each variable's value (an Int, or a list's length). */
      readonly fixed: number;
      readonly variables: readonly { name: string; list: boolean; fallback: number }[];
    };

interface FieldPlan {
  readonly kind: 'field';
  readonly weight: number;
  /** Undefined for a field that is not a list. */
  readonly size: Size | undefined;
  /** objectCost or scalarCost. */
  readonly each: number;
  readonly children: CostPlan;
}

/**
 * A named fragment, compiled once and shared by all its spreads, and evaluated once per call: a
 * document spreading fragments into fragments cannot make the estimate exponential.
 */
interface FragmentPlan {
  readonly kind: 'fragment';
  fields: CostPlan;
}

/** The document-only part of an operation's cost, compiled once per document. */
export type CostPlan = readonly (FieldPlan | FragmentPlan)[];

/** Computes operation costs against one schema, caching each document's plan. */
export interface OperationCostEstimator {
  /** The cost of the document's operation (`operationName`, or its only one) with these variables. */
  cost(document: DocumentNode, variables?: CostVariables, operationName?: string | null): number;
}

export function createOperationCostEstimator(
  schema: GraphQLSchema,
  options: OperationCostOptions = {},
): OperationCostEstimator {
  const plans = new WeakMap<DocumentNode, Map<string, CostPlan>>();
  return {
    cost(document, variables, operationName) {
      let byOperation = plans.get(document);
      if (!byOperation) {
        byOperation = new Map();
        plans.set(document, byOperation);
      }
      const key = operationName ?? '';
      let plan = byOperation.get(key);
      if (!plan) {
        plan = compileCostPlan(schema, document, operationName, options);
        byOperation.set(key, plan);
      }
      return evaluateCostPlan(plan, variables);
    },
  };
}

/** The cost of an operation, computed from scratch: pure (same arguments, same answer). */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: CostVariables,
  options: OperationCostOptions & { operationName?: string | null } = {},
): number {
  return evaluateCostPlan(compileCostPlan(schema, document, options.operationName, options), variables);
}

/** Walks the operation against the schema; an unknown operation or field costs nothing (validation refuses it). */
export function compileCostPlan(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  {
    fieldWeights = defaultFieldWeights,
    listSizes = defaultListSizes,
    objectCost = 1,
    scalarCost = 0,
    mutationCost = 10,
    defaultListSize = 10,
  }: OperationCostOptions = {},
): CostPlan {
  const operation = getOperationAST(document, operationName);
  if (!operation) return [];
  const root = schema.getRootType(operation.operation);
  if (!root) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  const compiledFragments = new Map<string, FragmentPlan>();
  const defaults = new Map<string, unknown>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue)
      defaults.set(definition.variable.name.value, valueFromASTUntyped(definition.defaultValue));
  }

  const listSize = (coordinate: string, args: readonly GraphQLArgument[], node: FieldNode): Size => {
    const configured = listSizes[coordinate];
    const assumed = configured?.assumedSize ?? defaultListSize;
    const slicing = configured?.slicingArguments
      ? args.filter((arg) => configured.slicingArguments!.includes(arg.name))
      : args.filter(
          (arg) => GENERIC_SLICING_ARGUMENTS.includes(arg.name) || isListType(getNullableType(arg.type)),
        );
    let fixed = -1;
    const variables: { name: string; list: boolean; fallback: number }[] = [];
    for (const arg of slicing) {
      const list = isListType(getNullableType(arg.type));
      const fallback = sizeOf(arg.defaultValue, list) ?? assumed;
      const given = node.arguments?.find((a) => a.name.value === arg.name)?.value;
      if (!given) {
        fixed = Math.max(fixed, fallback);
      } else if (given.kind === Kind.VARIABLE) {
        const name = given.name.value;
        variables.push({ name, list, fallback: sizeOf(defaults.get(name), list) ?? fallback });
      } else {
        fixed = Math.max(fixed, literalSize(given, list) ?? fallback);
      }
    }
    if (variables.length === 0) return { kind: 'fixed', n: fixed < 0 ? assumed : fixed };
    return { kind: 'variables', fixed, variables };
  };

  const literalSize = (value: ValueNode, list: boolean): number | undefined => {
    if (list)
      return value.kind === Kind.LIST ? value.values.length : value.kind === Kind.NULL ? undefined : 1;
    return value.kind === Kind.INT ? sizeOf(Number(value.value), false) : undefined;
  };

  const compile = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    visiting: ReadonlySet<string>,
    out: (FieldPlan | FragmentPlan)[],
  ): CostPlan => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parent;
        if (condition && isCompositeType(condition))
          compile(selection.selectionSet, condition, visiting, out);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        if (visiting.has(name)) continue; // a cycle: invalid, refused by validation
        let compiled = compiledFragments.get(name);
        if (!compiled) {
          compiled = { kind: 'fragment', fields: [] };
          compiledFragments.set(name, compiled);
          const fragment = fragments.get(name);
          const condition = fragment && schema.getType(fragment.typeCondition.name.value);
          if (fragment && condition && isCompositeType(condition)) {
            compiled.fields = compile(fragment.selectionSet, condition, new Set([...visiting, name]), []);
          }
        }
        out.push(compiled);
        continue;
      }
      const name = selection.name.value;
      // Introspection is gated separately; __typename is free.
      if (name.startsWith('__') || !('getFields' in parent)) continue;
      const field = parent.getFields()[name];
      if (!field) continue;
      const coordinate = `${parent.name}.${name}`;
      const type = getNamedType(field.type);
      const composite = isCompositeType(type);
      out.push({
        kind: 'field',
        weight: (fieldWeights[coordinate] ?? 0) + (parent === schema.getMutationType() ? mutationCost : 0),
        size: isListType(getNullableType(field.type))
          ? listSize(coordinate, field.args, selection)
          : undefined,
        each: composite ? objectCost : scalarCost,
        children:
          composite && selection.selectionSet ? compile(selection.selectionSet, type, visiting, []) : [],
      });
    }
    return out;
  };

  return compile(operation.selectionSet, root, new Set(), []);
}

/** A size argument's value: an Int as it is, a list by its length (a single value counts as one). */
function sizeOf(value: unknown, list: boolean): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (list) return Array.isArray(value) ? value.length : 1;
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.floor(value)) : undefined;
}

/** The cost of a compiled plan with the request's variables. */
export function evaluateCostPlan(
  plan: CostPlan,
  variables: CostVariables,
  fragments = new Map<FragmentPlan, number>(),
): number {
  let total = 0;
  for (const field of plan) {
    if (field.kind === 'fragment') {
      let cost = fragments.get(field);
      if (cost === undefined) {
        cost = evaluateCostPlan(field.fields, variables, fragments);
        fragments.set(field, cost);
      }
      total += cost;
      continue;
    }
    let size = 1;
    if (field.size?.kind === 'fixed') size = field.size.n;
    else if (field.size) {
      size = field.size.fixed;
      for (const { name, list, fallback } of field.size.variables) {
        size = Math.max(size, sizeOf(variables?.[name], list) ?? fallback);
      }
    }
    total += field.weight + size * (field.each + evaluateCostPlan(field.children, variables, fragments));
  }
  return total;
}
