/**
 * The cost of an operation: how many objects its answer can hold, with lists counted by their size
 * arguments (`tokens(ids:)` by the number of ids, `topTokens(first:)`, `orders(first:)`,
 * `candles(limit:)`) and fields that cost an upstream call per parent weighted extra. The query
 * protection plugin refuses operations over a limit with it; the per-client cost budget charges it.
 *
 * The model follows the IBM GraphQL cost specification: `@cost(weight)` and `@listSize(assumedSize,
 * slicingArguments)` in the SDL (as Hive's and Apollo's demand control name them), read from the
 * schema's policy (schema-policy.ts) of the analysis priced:
 *
 *   cost(field) = weight(field) + size(field) × (objectCost | scalarCost + Σ cost(child))
 *
 * where size is 1 for a non-list field. It is priced over the shared operation analysis
 * (operation-analysis.ts), so it counts exactly the fields that execute: fragments expanded as
 * execution expands them, `@skip`/`@include` honoured, and — for a budget — only the fields the
 * caller's scopes let resolve. The part that depends on the analysis alone is compiled once per
 * analysis; pricing it with variables is one pass over an array.
 * graphql-armor's cost-limit is not used: it weighs lists only by literal `first`/`last` values.
 */
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLArgument,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  type ValueNode,
  valueFromASTUntyped,
} from 'graphql';
import { createOperationAnalyzer, mayResolve, type OperationAnalysis } from './operation-analysis.js';
import type { ListSizePolicy } from './schema-policy.js';

/** How big a list field's answer is (IBM cost spec's `@listSize`). */
export type ListSize = ListSizePolicy;

export interface OperationCostOptions {
  /**
   * Extra weight of a field, each time it is resolved (per parent), by coordinate: fields that cost
   * an upstream call per parent instead of one batched call per request. Replaces the SDL's weights.
   * @default the schema's `@cost(weight)` (e.g. `Token.candles`: the market upstream has no batch
   * endpoint for candles)
   */
  readonly fieldWeights?: Readonly<Record<string, number>>;
  /**
   * List sizes by coordinate; replaces the SDL's. Lists without one are sliced by an Int argument
   * named `first`, `last` or `limit`, else by the length of a list argument, else `defaultListSize`.
   * @default the schema's `@listSize` (e.g. `Portfolio.positions`: 500 assumed, the largest account
   * served; the portfolio upstream does not page positions)
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

/** Items assumed in a list with neither a slicing argument nor an assumed size, by default. */
export const DEFAULT_LIST_SIZE = 10;
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

/** The analysis-only part of one occurrence's cost. */
interface FieldPlan {
  readonly weight: number;
  /** Undefined for a field that is not a list. */
  readonly size: Size | undefined;
  /** objectCost or scalarCost. */
  readonly each: number;
}

/** Aligned with the analysis's occurrences. */
export type CostPlan = readonly FieldPlan[];

/** Computes operation costs against one schema, caching each analysis's plan. */
export interface OperationCostEstimator {
  /**
   * The cost of an analysed operation with these variables. `granted`: price only what a caller
   * with these scopes resolves (null: anonymous); omitted: every field.
   */
  cost(analysis: OperationAnalysis, variables?: CostVariables, granted?: ReadonlySet<string> | null): number;
}

export function createOperationCostEstimator(options: OperationCostOptions = {}): OperationCostEstimator {
  const plans = new WeakMap<OperationAnalysis, CostPlan>();
  return {
    cost(analysis, variables, granted) {
      let plan = plans.get(analysis);
      if (!plan) {
        plan = compileCostPlan(analysis, options);
        plans.set(analysis, plan);
      }
      return evaluateCostPlan(analysis, plan, variables, granted);
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
  const analysis = createOperationAnalyzer(schema).analyze(document, options.operationName, variables);
  return analysis ? evaluateCostPlan(analysis, compileCostPlan(analysis, options), variables) : 0;
}

/** Prices each occurrence of an analysis from the schema (its policy) and the document alone. */
export function compileCostPlan(
  analysis: OperationAnalysis,
  {
    fieldWeights,
    listSizes,
    objectCost = 1,
    scalarCost = 0,
    mutationCost = 10,
    defaultListSize = DEFAULT_LIST_SIZE,
  }: OperationCostOptions = {},
): CostPlan {
  const { policy } = analysis;
  const weightOf = (coordinate: string) =>
    (fieldWeights ? fieldWeights[coordinate] : policy[coordinate]?.cost) ?? 0;
  const listSizeOf = (coordinate: string) =>
    listSizes ? listSizes[coordinate] : policy[coordinate]?.listSize;
  const defaults = new Map<string, unknown>();
  for (const definition of analysis.operation.variableDefinitions ?? []) {
    if (definition.defaultValue)
      defaults.set(definition.variable.name.value, valueFromASTUntyped(definition.defaultValue));
  }

  const listSize = (coordinate: string, args: readonly GraphQLArgument[], node: FieldNode): Size => {
    const configured = listSizeOf(coordinate);
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

  return analysis.occurrences.map(({ coordinate, field, node, root }) => ({
    weight: weightOf(coordinate) + (root && analysis.kind === 'mutation' ? mutationCost : 0),
    size: isListType(getNullableType(field.type)) ? listSize(coordinate, field.args, node) : undefined,
    each: isCompositeType(getNamedType(field.type)) ? objectCost : scalarCost,
  }));
}

const literalSize = (value: ValueNode, list: boolean): number | undefined => {
  if (list) return value.kind === Kind.LIST ? value.values.length : value.kind === Kind.NULL ? undefined : 1;
  return value.kind === Kind.INT ? sizeOf(Number(value.value), false) : undefined;
};

/** A size argument's value: an Int as it is, a list by its length (a single value counts as one). */
function sizeOf(value: unknown, list: boolean): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (list) return Array.isArray(value) ? value.length : 1;
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.floor(value)) : undefined;
}

/**
 * The cost of a compiled plan with the request's variables: children come after their parent in
 * the analysis, so one backward pass folds every subtree into its parent.
 */
export function evaluateCostPlan(
  analysis: OperationAnalysis,
  plan: CostPlan,
  variables: CostVariables,
  granted?: ReadonlySet<string> | null,
): number {
  const { occurrences } = analysis;
  const children = new Float64Array(occurrences.length);
  let total = 0;
  for (let i = occurrences.length - 1; i >= 0; i--) {
    const occurrence = occurrences[i]!;
    if (granted !== undefined && !mayResolve(occurrence, granted)) continue;
    const field = plan[i]!;
    let size = 1;
    if (field.size?.kind === 'fixed') size = field.size.n;
    else if (field.size) {
      size = field.size.fixed;
      for (const { name, list, fallback } of field.size.variables) {
        size = Math.max(size, sizeOf(variables?.[name], list) ?? fallback);
      }
    }
    const cost = field.weight + size * (field.each + children[i]!);
    if (occurrence.parent < 0) total += cost;
    else children[occurrence.parent]! += cost;
  }
  return total;
}
