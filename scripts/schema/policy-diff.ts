/**
 * Policy changes between two schemas, judged by direction: a change that lets callers do more (a
 * removed or looser `@requiresScopes`, a higher `@rateLimit`, a removed `@signed`, a longer or
 * shared `@cacheControl`, a lower `@cost` or `@listSize`, a removed `@invalidatesCache`) is
 * DANGEROUS, printed with its coordinate for the reviewer; a tighter one is safe. Both schemas are
 * read by the gateway's own reader (src/gateway/schema-policy.ts), so the check judges exactly what
 * the gateway enforces. graphql-inspector's generic DIRECTIVE_USAGE_* changes for these directives
 * (every one DANGEROUS, whatever its direction) are replaced by these.
 */
import { type Change, CriticalityLevel } from '@graphql-inspector/core';
import { type GraphQLSchema, isObjectType } from 'graphql';
import { DEFAULT_LIST_SIZE } from '../../src/gateway/operation-cost.js';
import {
  type CacheControlPolicy,
  type CoordinatePolicy,
  type ListSizePolicy,
  POLICY_DIRECTIVES,
  type PolicyKind,
  type RateLimitPolicy,
  readSchemaPolicy,
  type ScopeRequirement,
} from '../../src/gateway/schema-policy.js';

/** Change types this check adds to graphql-inspector's. */
export const PolicyChangeType = {
  /** The policy lets callers do more than before: DANGEROUS. */
  Loosened: 'POLICY_LOOSENED',
  /** The policy lets callers do less (or the same): safe. */
  Tightened: 'POLICY_TIGHTENED',
  /** The baseline does not define the directive at all: the policy enters the schema. Safe. */
  Declared: 'POLICY_DECLARED',
} as const;

const POLICY_DIRECTIVE_NAMES: ReadonlySet<string> = new Set(Object.values(POLICY_DIRECTIVES));

/** Whether an inspector change is about the usage of a policy directive (replaced by policyChanges). */
export function isPolicyDirectiveUsage(change: Change): boolean {
  if (!change.type.startsWith('DIRECTIVE_USAGE_')) return false;
  const meta = (change.meta ?? {}) as Record<string, unknown>;
  const name = meta.addedDirectiveName ?? meta.removedDirectiveName ?? meta.directiveName;
  return typeof name === 'string' && POLICY_DIRECTIVE_NAMES.has(name);
}

/** What changed and whether callers can now do more. */
interface Verdict {
  readonly loosened: boolean;
  readonly what: string;
}

const WHY: Readonly<Record<PolicyKind, string>> = {
  scopes: 'callers with fewer scopes can now read this field',
  rateLimit: 'a client may now call this field more often',
  signed: 'reading this field no longer needs a signed request',
  cacheControl: 'answers may now be served staler, or shared between callers',
  cost: 'operations using this field are priced lower: larger ones pass the cost limit and budget',
  listSize: 'operations using this list are priced lower: larger ones pass the cost limit and budget',
  invalidates: "the user's cached answers now outlive this mutation: they may be stale after it",
};

const describeScopes = (scopes: ScopeRequirement) => scopes.map((all) => all.join(' and ')).join(', or ');
const describeLimit = (limit: RateLimitPolicy) => `${limit.max} per ${limit.window}`;
const describeCache = (cache: CacheControlPolicy) =>
  [cache.maxAge !== undefined && `maxAge ${cache.maxAge} s`, cache.scope].filter(Boolean).join(', ');
const describeListSize = (size: ListSizePolicy) =>
  [
    size.assumedSize !== undefined && `assumedSize ${size.assumedSize}`,
    size.slicingArguments && `slicingArguments ${size.slicingArguments.join(', ')}`,
  ]
    .filter(Boolean)
    .join(', ');

/** Whether a caller meeting `after` always meets `before`: each AND-set of `after` holds one of `before`. */
function scopesAtLeastAsStrict(before: ScopeRequirement, after: ScopeRequirement): boolean {
  return after.every((all) => before.some((required) => required.every((scope) => all.includes(scope))));
}

/**
 * Whether `after` lets through more calls than `before` in some window of `before`: in a window of
 * `before.windowMs`, `after` admits `after.max` per each of ceil(before / after) of its own windows.
 */
const moreCalls = (before: RateLimitPolicy, after: RateLimitPolicy) =>
  after.max * Math.ceil(before.windowMs / after.windowMs) > before.max;

function judgeScopes(before?: ScopeRequirement, after?: ScopeRequirement): Verdict {
  if (!after) return { loosened: true, what: `no longer requires scopes (was ${describeScopes(before!)})` };
  if (!before) return { loosened: false, what: `now requires ${describeScopes(after)} (was public)` };
  return {
    loosened: !scopesAtLeastAsStrict(before, after),
    what: `requires ${describeScopes(after)} (was ${describeScopes(before)})`,
  };
}

function judgeRateLimit(before?: RateLimitPolicy, after?: RateLimitPolicy): Verdict {
  if (!after) return { loosened: true, what: `no longer limited (was ${describeLimit(before!)})` };
  if (!before) return { loosened: false, what: `now limited to ${describeLimit(after)} (was unlimited)` };
  return {
    loosened: moreCalls(before, after),
    what: `limited to ${describeLimit(after)} (was ${describeLimit(before)})`,
  };
}

function judgeCacheControl(before: CacheControlPolicy = {}, after: CacheControlPolicy = {}): Verdict {
  // maxAge: longer is looser; a removed one falls back to the default TTL, an added one may exceed it.
  const longer =
    after.maxAge === undefined
      ? before.maxAge !== undefined
      : before.maxAge === undefined
        ? after.maxAge > 0
        : after.maxAge > before.maxAge;
  const shared = before.scope === 'PRIVATE' && after.scope !== 'PRIVATE';
  return {
    loosened: longer || shared,
    what: `cached ${describeCache(after) || 'by the defaults'} (was ${describeCache(before) || 'the defaults'})`,
  };
}

function judgeListSize(before: ListSizePolicy = {}, after: ListSizePolicy = {}): Verdict {
  const assumed = (size: ListSizePolicy) => size.assumedSize ?? DEFAULT_LIST_SIZE;
  const slicing = (size: ListSizePolicy) => (size.slicingArguments ?? []).join(',');
  return {
    // Other slicing arguments size the list from other inputs: not comparable, so not judged safe.
    loosened: assumed(after) < assumed(before) || slicing(after) !== slicing(before),
    what: `sized ${describeListSize(after) || 'by the defaults'} (was ${describeListSize(before) || 'the defaults'})`,
  };
}

/** Judges one kind of policy at one coordinate; both values are set or one is missing, and they differ. */
function judge(kind: PolicyKind, before: CoordinatePolicy, after: CoordinatePolicy): Verdict {
  switch (kind) {
    case 'scopes':
      return judgeScopes(before.scopes, after.scopes);
    case 'rateLimit':
      return judgeRateLimit(before.rateLimit, after.rateLimit);
    case 'signed':
      return after.signed
        ? { loosened: false, what: 'now needs a signed request' }
        : { loosened: true, what: 'no longer needs a signed request' };
    case 'cacheControl':
      return judgeCacheControl(before.cacheControl, after.cacheControl);
    case 'cost':
      return {
        loosened: (after.cost ?? 0) < (before.cost ?? 0),
        what: `weighs ${after.cost ?? 0} (was ${before.cost ?? 0})`,
      };
    case 'listSize':
      return judgeListSize(before.listSize, after.listSize);
    case 'invalidates':
      return after.invalidates
        ? { loosened: false, what: `now drops the caller's cached answers (${after.invalidates})` }
        : { loosened: true, what: `no longer drops the caller's cached answers (was ${before.invalidates})` };
  }
}

/** Whether a coordinate (`Type` or `Type.field`) names an object type or field of a schema. */
function exists(schema: GraphQLSchema, coordinate: string): boolean {
  const [typeName, fieldName] = coordinate.split('.') as [string, string | undefined];
  const type = schema.getType(typeName);
  if (!isObjectType(type)) return false;
  return fieldName === undefined || fieldName in type.getFields();
}

const KINDS = Object.keys(POLICY_DIRECTIVES) as PolicyKind[];

/**
 * Every policy change on a coordinate both schemas have (a removed or added field is reported by
 * graphql-inspector already), one per coordinate and directive, with the path `Type.field.@directive`
 * (`Type.@cacheControl` on a type).
 */
export function policyChanges(baseline: GraphQLSchema, current: GraphQLSchema): Change[] {
  const before = readSchemaPolicy(baseline);
  const after = readSchemaPolicy(current);
  const changes: Change[] = [];
  const coordinates = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const coordinate of coordinates) {
    if (!exists(baseline, coordinate) || !exists(current, coordinate)) continue;
    const old = before[coordinate] ?? {};
    const now = after[coordinate] ?? {};
    for (const kind of KINDS) {
      if (JSON.stringify(old[kind]) === JSON.stringify(now[kind])) continue;
      const directive = POLICY_DIRECTIVES[kind];
      const path = `${coordinate}.@${directive}`;
      if (old[kind] === undefined && !baseline.getDirective(directive)) {
        changes.push({
          type: PolicyChangeType.Declared,
          path,
          message: `@${directive} on ${coordinate} declared in the schema (the baseline has no @${directive})`,
          criticality: {
            level: CriticalityLevel.NonBreaking,
            reason: `The baseline has no @${directive}: no earlier policy in the schema to compare with.`,
          },
          meta: { coordinate, directive, before: undefined, after: now[kind] },
        });
        continue;
      }
      const { loosened, what } = judge(kind, old, now);
      changes.push({
        type: loosened ? PolicyChangeType.Loosened : PolicyChangeType.Tightened,
        path,
        message: `@${directive} on ${coordinate}: ${what}`,
        criticality: loosened
          ? { level: CriticalityLevel.Dangerous, reason: `Looser policy: ${WHY[kind]}.` }
          : {
              level: CriticalityLevel.NonBreaking,
              reason: 'Tighter policy: it allows no more than before.',
            },
        meta: { coordinate, directive, before: old[kind], after: now[kind] },
      });
    }
  }
  return changes;
}
