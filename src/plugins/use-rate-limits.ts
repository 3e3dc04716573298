/**
 * Per-client, per-field rate limits from the SDL (`@rateLimit(max, window)`), and a rolling cost
 * budget per client. Everything an operation needs is checked and counted in ONE store round trip
 * before execution: a refused field resolves to null with RATE_LIMITED; an operation whose every
 * root field is refused (or that is over the cost budget) is answered 429 with Retry-After. Answers
 * carry IETF RateLimit-Policy / RateLimit headers for the tightest limit involved.
 *
 * Why not @envelop/rate-limiter's engine: its store interface reads then writes (not atomic, so a
 * burst passes `max`), and one refused field stops the whole operation. Its directive shape is kept.
 */
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLObjectType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Principal, PrincipalContext } from '../auth/principal.js';
import { gatewayError } from '../errors.js';
import {
  type FieldOccurrence,
  mayResolve,
  type OperationAnalysis,
  type OperationAnalyzer,
} from '../gateway/operation-analysis.js';
import type { OperationCostEstimator } from '../gateway/operation-cost.js';
import { onEveryOperation } from '../gateway/policy-hook.js';
import { requestSlot } from '../gateway/request-slot.js';
import { policyEntries } from '../gateway/schema-policy.js';
import type { LimitCheck, LimitResult, RateLimitStore } from '../stores/rate-limit.js';
import { isRedisUnavailable } from '../stores/redis-breaker.js';

export interface RateLimitPluginOptions {
  /** The shared operation analysis: every field occurrence, with the scopes on its path. */
  analyzer: OperationAnalyzer;
  /** The shared store (Redis), or memory for a single instance. */
  store: RateLimitStore;
  /** Counts per instance while `store` fails: limits fail open to local counting, not to none. */
  fallback: RateLimitStore;
  logger: Logger;
  /** Multiplier of every `max` per plan; unknown plans count as `free`. @default { free: 1, pro: 10, enterprise: 100 } */
  plans?: Record<string, number>;
  /**
   * Query cost a client may spend per rolling minute (×plan multiplier). The 50-position portfolio
   * costs ~2000, a token ~2. @default 100000
   */
  costBudgetPerMinute?: number;
  /** Prices operations for the cost budget (the complexity limit's estimator); omitted: no cost budget. */
  costs?: OperationCostEstimator;
  /** Told about each refused field coordinate (metrics). */
  onRefused?: (coordinate: string) => void;
  /** Told when the shared store failed and local counting took over (metrics). */
  onFallback?: () => void;
  now?: () => number;
}

interface Verdict {
  /** Refused coordinates → seconds until retry. */
  refused: Map<string, number>;
  header: { policy: string; state: string } | null;
}

/** What the plugin reads of the request context: who asks, and from where. */
export interface RateLimitContext extends PrincipalContext {
  readonly clientIp: string;
}

/** The plan's multiplier of every limit (RATE_LIMIT_PLANS); a plan it does not list counts as `free`. */
export function planMultiplier(plans: Readonly<Record<string, number>>, principal: Principal | null): number {
  return plans[principal?.plan ?? 'free'] ?? plans.free ?? 1;
}

/**
 * Whose budget a request spends: an API key's client (never the key, so a rotation keeps the count),
 * a JWT's subject within its app (one user cannot spend a whole app's budget), or the address of an
 * anonymous caller.
 */
export function budgetOwner(principal: Principal | null, clientIp: string): string {
  if (!principal) return `ip:${clientIp}`;
  if (principal.via === 'api-key') return `client:${principal.clientId}`;
  return `user:${encodeURIComponent(principal.clientId)}:${encodeURIComponent(principal.userId)}`;
}

export function useRateLimits({
  analyzer,
  store,
  fallback,
  logger,
  plans = { free: 1, pro: 10, enterprise: 100 },
  costBudgetPerMinute = 100_000,
  costs,
  onRefused,
  onFallback,
  now = Date.now,
}: RateLimitPluginOptions): Plugin<RateLimitContext> {
  const schema = analyzer.schema;
  // `@rateLimit` by coordinate, validated when the schema's policy was read (schema-policy.ts).
  const limits = new Map(policyEntries(analyzer.policy, 'rateLimit'));
  const verdicts = requestSlot<object, Verdict>('rateLimitVerdict');
  const responseHeaders = requestSlot<Request, Verdict['header']>('rateLimitHeader');
  const limitedOf = new WeakMap<OperationAnalysis, readonly FieldOccurrence[]>();

  // Refused fields resolve to null with RATE_LIMITED; the rest of the operation is served.
  for (const coordinate of limits.keys()) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
    const resolve: GraphQLFieldResolver<unknown, RateLimitContext> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context, info) => {
      const retryAfter = verdicts.get(context)?.refused.get(coordinate);
      if (retryAfter !== undefined) throw rateLimited(coordinate, retryAfter, false);
      return resolve(source, args, context, info);
    };
  }

  /** The operation's occurrences of rate-limited fields (each alias and fragment copy is one). */
  function limitedOccurrences(analysis: OperationAnalysis): readonly FieldOccurrence[] {
    let found = limitedOf.get(analysis);
    if (!found) {
      found = analysis.occurrences.filter((o) => limits.has(o.coordinate));
      limitedOf.set(analysis, found);
    }
    return found;
  }

  async function consume(checks: LimitCheck[], at: number): Promise<LimitResult[]> {
    try {
      return await store.consume(checks, at);
    } catch (err) {
      // The breaker's refusal is logged once, when it opens; a line per request would flood the log.
      if (isRedisUnavailable(err)) logger.debug('redis breaker open: counting on this instance only');
      else logger.warn({ err }, 'rate-limit store unreachable: counting on this instance only');
      onFallback?.();
      return fallback.consume(checks, at);
    }
  }

  return {
    ...onEveryOperation(async ({ args, setResultAndStopExecution }) => {
      const context = args.contextValue;
      const analysis = analyzer.analyze(args.document, args.operationName, args.variableValues);
      if (!analysis) return;
      const principal = context.principal;
      // Every occurrence counts, but only one the principal may resolve: a field its scopes refuse
      // (or one under a refused parent) spends no budget.
      const counts = new Map<string, number>();
      for (const occurrence of limitedOccurrences(analysis)) {
        if (!mayResolve(occurrence, principal?.scopes ?? null)) continue;
        counts.set(occurrence.coordinate, (counts.get(occurrence.coordinate) ?? 0) + 1);
      }
      // Priced over what the caller's scopes let resolve: a refused field costs nothing either.
      const cost = costs ? costs.cost(analysis, args.variableValues, principal?.scopes ?? null) : 0;
      if (counts.size === 0 && cost === 0) return;
      const identity = budgetOwner(principal, context.clientIp);
      const multiplier = planMultiplier(plans, principal);
      const unique = [...counts.keys()];
      const checks: LimitCheck[] = unique.map((coordinate) => {
        const limit = limits.get(coordinate)!;
        return {
          owner: identity,
          key: coordinate,
          max: Math.max(1, Math.floor(limit.max * multiplier)),
          windowMs: limit.windowMs,
          weight: counts.get(coordinate)!,
          kind: 'log',
        };
      });
      if (cost > 0)
        checks.push({
          owner: identity,
          key: 'cost',
          max: Math.floor(costBudgetPerMinute * multiplier),
          windowMs: 60_000,
          weight: cost,
          kind: 'window',
          // An operation over its cost budget runs nothing, so it spends none of its field limits.
          gate: true,
        });
      const results = await consume(checks, now());

      const verdict: Verdict = { refused: new Map(), header: null };
      let tightest = -1;
      results.forEach((result, i) => {
        const check = checks[i]!;
        const name = i < unique.length ? unique[i]! : 'cost';
        if (!result.allowed && i < unique.length) {
          verdict.refused.set(name, Math.max(1, Math.ceil(result.resetMs / 1000)));
          onRefused?.(name);
        }
        if (
          tightest < 0 ||
          result.remaining / check.max < results[tightest]!.remaining / checks[tightest]!.max
        )
          tightest = i;
      });
      if (tightest >= 0) {
        const check = checks[tightest]!;
        const result = results[tightest]!;
        const name = tightest < unique.length ? unique[tightest]! : 'cost';
        verdict.header = {
          policy: `"${name}";q=${check.max};w=${Math.round(check.windowMs / 1000)}`,
          state: `"${name}";r=${result.remaining};t=${Math.max(0, Math.ceil(result.resetMs / 1000))}`,
        };
      }
      verdicts.set(context, verdict);
      responseHeaders.set((context as RateLimitContext & { request: Request }).request, verdict.header);

      const costResult = cost > 0 ? results.at(-1)! : null;
      if (costResult && !costResult.allowed) {
        onRefused?.('cost');
        const retryAfter = Math.max(1, Math.ceil(costResult.resetMs / 1000));
        setResultAndStopExecution({
          errors: [
            gatewayError(
              'RATE_LIMITED',
              `This client's query cost budget is spent for now (this operation costs ${cost}).`,
              { retryAfter, limit: 'cost' },
              { http: true, headers: { 'Retry-After': String(retryAfter) } },
            ),
          ],
        });
        return;
      }
      // The whole operation is refused (429) only when every root field it resolves is.
      const roots = analysis.occurrences.filter((o) => o.root);
      if (roots.length > 0 && roots.every((o) => verdict.refused.has(o.coordinate))) {
        const retryAfter = Math.max(...roots.map((o) => verdict.refused.get(o.coordinate)!));
        setResultAndStopExecution({
          errors: [...new Set(roots.map((o) => o.coordinate))].map((coordinate) =>
            rateLimited(coordinate, verdict.refused.get(coordinate)!, true, retryAfter),
          ),
        });
      }
    }),
    onResponse({ request, response }) {
      const header = responseHeaders.get(request);
      if (!header) return;
      response.headers.set('RateLimit-Policy', header.policy);
      response.headers.set('RateLimit', header.state);
    },
  };
}

function rateLimited(
  coordinate: string,
  retryAfter: number,
  whole: boolean,
  operationRetryAfter = retryAfter,
) {
  return gatewayError(
    'RATE_LIMITED',
    `Rate limit of ${coordinate} reached: retry after ${retryAfter} s.`,
    { retryAfter, field: coordinate },
    whole ? { http: true, headers: { 'Retry-After': String(operationRetryAfter) } } : {},
  );
}
