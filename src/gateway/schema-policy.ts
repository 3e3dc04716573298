/**
 * Every field policy the SDL declares (schema/directives.graphql), read from the built schema once
 * into one frozen map by coordinate: who may read a field (`@requiresScopes`), how often
 * (`@rateLimit`), whether it needs a signed request (`@signed`), how long and for whom an answer
 * holding it may be cached (`@cacheControl`, on types and fields), what it costs (`@cost`,
 * `@listSize`) and what a mutation drops from the cache (`@invalidatesCache`).
 *
 * The policies (scopes, signatures, rate limits, the cost estimate, the response cache) read this
 * map, never the directives: a policy is validated once, when the schema is built, with an error
 * naming its coordinate, and the schema check (scripts/schema/compare.ts) judges a change between
 * two schemas on the same map. (envelop's response cache and Hive's demand control read their
 * directives at schema load the same way.)
 */
import { getDirective } from '@graphql-tools/utils';
import {
  type GraphQLField,
  type GraphQLNamedType,
  GraphQLObjectType,
  type GraphQLSchema,
  getNullableType,
  isListType,
} from 'graphql';

/** Scopes a field needs: an OR of ANDs, as `@requiresScopes` declares it. */
export type ScopeRequirement = readonly (readonly string[])[];

/** `@rateLimit(max, window)`, with the window in ms. */
export interface RateLimitPolicy {
  readonly max: number;
  /** As written: `10s`, `1m`, `1h`. */
  readonly window: string;
  readonly windowMs: number;
}

/** `@cacheControl(maxAge, scope)`: envelop's response-cache directive. */
export interface CacheControlPolicy {
  /** Seconds an answer holding this type or field may be cached; 0: never. */
  readonly maxAge?: number;
  readonly scope?: 'PUBLIC' | 'PRIVATE';
}

/** `@listSize(assumedSize, slicingArguments)` (IBM cost spec; Hive and Apollo demand control). */
export interface ListSizePolicy {
  /** Items assumed when no slicing argument says how many. */
  readonly assumedSize?: number;
  /**
   * Arguments that give the size: an Int (`first`, `limit`) is the size; a list (`ids`) counts by its
   * length. The largest one given wins.
   */
  readonly slicingArguments?: readonly string[];
}

/** Which cached answers a mutation drops: `USER`, every answer of the user who called it. */
export type CacheInvalidationScope = 'USER';

/** The policy of one coordinate: `Type.field`, or `Type` (only `cacheControl` applies to types). */
export interface CoordinatePolicy {
  /** `@requiresScopes(scopes)`. */
  readonly scopes?: ScopeRequirement;
  readonly rateLimit?: RateLimitPolicy;
  /** `@signed`: reading the field needs an RFC 9421 signature. */
  readonly signed?: true;
  readonly cacheControl?: CacheControlPolicy;
  /** `@cost(weight)`: extra cost each time the field resolves. */
  readonly cost?: number;
  readonly listSize?: ListSizePolicy;
  /** `@invalidatesCache(scope)`, on mutations. */
  readonly invalidates?: CacheInvalidationScope;
}

export type PolicyKind = keyof CoordinatePolicy;

/** Every declared policy by coordinate; frozen, like everything in it. */
export type SchemaPolicy = Readonly<Record<string, CoordinatePolicy>>;

/** The directive that declares each kind of policy. */
export const POLICY_DIRECTIVES: Readonly<Record<PolicyKind, string>> = Object.freeze({
  scopes: 'requiresScopes',
  rateLimit: 'rateLimit',
  signed: 'signed',
  cacheControl: 'cacheControl',
  cost: 'cost',
  listSize: 'listSize',
  invalidates: 'invalidatesCache',
});

/** One or more policy directives with invalid arguments: each line names its coordinate. */
export class SchemaPolicyError extends Error {
  override readonly name = 'SchemaPolicyError';
  readonly code = 'SCHEMA_POLICY_INVALID';
}

const WINDOW = /^(\d{1,4})(s|m|h)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "10s" / "1m" / "1h" → ms; at most 1 h. */
export function parseWindow(window: string): number {
  const match = WINDOW.exec(window);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms > 0 && ms <= 3_600_000))
    throw new Error(`@rateLimit window "${window}" must be like 10s, 1m or 1h (at most 1h)`);
  return ms;
}

// A side table keyed by the schema: every consumer asks for the policy, the schema is read once.
const policies = new WeakMap<GraphQLSchema, SchemaPolicy>();

/** The schema's policy, read (and validated) on the first call for a schema, then shared. */
export function schemaPolicy(schema: GraphQLSchema): SchemaPolicy {
  let policy = policies.get(schema);
  if (!policy) {
    policy = readSchemaPolicy(schema);
    policies.set(schema, policy);
  }
  return policy;
}

/** The coordinates carrying one kind of policy, with its value, in schema order. */
export function policyEntries<K extends PolicyKind>(
  policy: SchemaPolicy,
  kind: K,
): [string, NonNullable<CoordinatePolicy[K]>][] {
  const found: [string, NonNullable<CoordinatePolicy[K]>][] = [];
  for (const [coordinate, entry] of Object.entries(policy)) {
    const value = entry[kind];
    if (value !== undefined) found.push([coordinate, value as NonNullable<CoordinatePolicy[K]>]);
  }
  return found;
}

type Args = Record<string, unknown>;
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** Reads every policy directive of a schema; throws SchemaPolicyError listing every invalid one. */
export function readSchemaPolicy(schema: GraphQLSchema): SchemaPolicy {
  const problems: string[] = [];
  const entries: [string, CoordinatePolicy][] = [];
  const mutation = schema.getMutationType();
  const argsOf = (node: GraphQLNamedType | GraphQLField<unknown, unknown>, directive: string) =>
    getDirective(schema, node, directive)?.[0] as Args | undefined;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    const typeCacheControl = argsOf(type, 'cacheControl');
    if (typeCacheControl) {
      const problem = (message: string) => problems.push(`${type.name}: ${message}`);
      const cacheControl = cacheControlOf(typeCacheControl, problem);
      if (cacheControl) entries.push([type.name, { cacheControl }]);
    }
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const problem = (message: string) => problems.push(`${coordinate}: ${message}`);
      const args = (directive: string) => argsOf(field, directive);
      const entry: { -readonly [K in PolicyKind]?: CoordinatePolicy[K] } = {};
      const scopes = args('requiresScopes');
      if (scopes) entry.scopes = scopesOf(scopes, problem);
      const rateLimit = args('rateLimit');
      if (rateLimit) entry.rateLimit = rateLimitOf(rateLimit, problem);
      if (args('signed')) entry.signed = true;
      const cacheControl = args('cacheControl');
      if (cacheControl) entry.cacheControl = cacheControlOf(cacheControl, problem);
      const cost = args('cost');
      if (cost) {
        if (isCount(cost.weight)) entry.cost = cost.weight;
        else problem(`@cost weight must be an integer >= 0 (got ${String(cost.weight)})`);
      }
      const listSize = args('listSize');
      if (listSize) entry.listSize = listSizeOf(listSize, field, problem);
      const invalidates = args('invalidatesCache');
      if (invalidates) {
        if (type !== mutation) problem('@invalidatesCache applies to mutation fields only');
        else if (invalidates.scope !== 'USER')
          problem(`@invalidatesCache scope must be USER (got ${String(invalidates.scope)})`);
        else entry.invalidates = 'USER';
      }
      if (Object.values(entry).some((value) => value !== undefined)) entries.push([coordinate, entry]);
    }
  }
  if (problems.length > 0) {
    throw new SchemaPolicyError(`invalid policy directives in the schema:\n  ${problems.join('\n  ')}`);
  }
  // No prototype: a coordinate is only ever an own entry.
  const policy = Object.assign(
    Object.create(null) as Record<string, CoordinatePolicy>,
    Object.fromEntries(entries),
  );
  return deepFreeze(policy);
}

function scopesOf(args: Args, problem: (message: string) => void): ScopeRequirement | undefined {
  const scopes = args.scopes as unknown;
  const valid =
    Array.isArray(scopes) &&
    scopes.length > 0 &&
    scopes.every(
      (all) =>
        Array.isArray(all) &&
        all.length > 0 &&
        all.every((scope) => typeof scope === 'string' && /^\S+$/.test(scope)),
    );
  if (!valid) {
    problem('@requiresScopes needs non-empty scope lists of non-empty scopes without spaces');
    return undefined;
  }
  return (scopes as string[][]).map((all) => [...all]);
}

function rateLimitOf(args: Args, problem: (message: string) => void): RateLimitPolicy | undefined {
  const { max, window } = args;
  if (!Number.isInteger(max) || (max as number) < 1) {
    problem(`@rateLimit max must be a positive integer (got ${String(max)})`);
    return undefined;
  }
  try {
    return { max: max as number, window: String(window), windowMs: parseWindow(String(window)) };
  } catch (err) {
    problem((err as Error).message);
    return undefined;
  }
}

function cacheControlOf(args: Args, problem: (message: string) => void): CacheControlPolicy | undefined {
  const { maxAge, scope } = args;
  if (maxAge == null && scope == null) {
    problem('@cacheControl needs maxAge, scope or both');
    return undefined;
  }
  if (maxAge != null && !isCount(maxAge)) {
    problem(`@cacheControl maxAge must be an integer >= 0 seconds (got ${String(maxAge)})`);
    return undefined;
  }
  if (scope != null && scope !== 'PUBLIC' && scope !== 'PRIVATE') {
    problem(`@cacheControl scope must be PUBLIC or PRIVATE (got ${String(scope)})`);
    return undefined;
  }
  return {
    ...(maxAge != null && { maxAge: maxAge as number }),
    ...(scope != null && { scope: scope as 'PUBLIC' | 'PRIVATE' }),
  };
}

function listSizeOf(
  args: Args,
  field: GraphQLField<unknown, unknown>,
  problem: (message: string) => void,
): ListSizePolicy | undefined {
  const { assumedSize, slicingArguments } = args;
  if (!isListType(getNullableType(field.type))) {
    problem(`@listSize applies to list fields only (the field is ${String(field.type)})`);
    return undefined;
  }
  if (assumedSize == null && slicingArguments == null) {
    problem('@listSize needs assumedSize, slicingArguments or both');
    return undefined;
  }
  if (assumedSize != null && !isCount(assumedSize)) {
    problem(`@listSize assumedSize must be an integer >= 0 (got ${String(assumedSize)})`);
    return undefined;
  }
  if (slicingArguments != null) {
    const names = slicingArguments as string[];
    const bad = names.filter((name) => {
      const arg = field.args.find((a) => a.name === name);
      const type = arg && getNullableType(arg.type);
      return !type || !(isListType(type) || String(type) === 'Int');
    });
    if (names.length === 0 || bad.length > 0) {
      problem(
        `@listSize slicingArguments must name Int or list arguments of the field (${names.length === 0 ? 'none given' : `not: ${bad.join(', ')}`})`,
      );
      return undefined;
    }
  }
  return {
    ...(assumedSize != null && { assumedSize: assumedSize as number }),
    ...(slicingArguments != null && { slicingArguments: [...(slicingArguments as string[])] }),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
