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
import {
  type DocumentNode,
  defaultFieldResolver,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { gatewayError } from '../errors.js';
import type { GatewayContext } from '../gateway/context.js';
import { fieldsWithDirective } from '../gateway/scopes.js';
import type { LimitCheck, LimitResult, RateLimitStore } from '../stores/rate-limit.js';

export interface RateLimitPluginOptions {
  schema: GraphQLSchema;
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
  /** Cost of an operation (the estimate the complexity limit uses); omitted: no cost budget. */
  operationCost?: (
    document: DocumentNode,
    variables: Record<string, unknown> | undefined,
    operationName: string | null | undefined,
  ) => number;
  /** Told about each refused field coordinate (metrics). */
  onRefused?: (coordinate: string) => void;
  /** Told when the shared store failed and local counting took over (metrics). */
  onFallback?: () => void;
  now?: () => number;
}

interface Occurrence {
  coordinate: string;
  root: boolean;
}

interface Verdict {
  /** Refused coordinates → seconds until retry. */
  refused: Map<string, number>;
  header: { policy: string; state: string } | null;
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

export function useRateLimits({
  schema,
  store,
  fallback,
  logger,
  plans = { free: 1, pro: 10, enterprise: 100 },
  costBudgetPerMinute = 100_000,
  operationCost,
  onRefused,
  onFallback,
  now = Date.now,
}: RateLimitPluginOptions): Plugin<GatewayContext> {
  const limits = new Map<string, { max: number; windowMs: number; window: string }>();
  for (const [coordinate, args] of fieldsWithDirective(schema, 'rateLimit')) {
    const max = args.max as number;
    if (!Number.isInteger(max) || max < 1)
      throw new Error(`${coordinate}: @rateLimit max must be a positive integer`);
    limits.set(coordinate, {
      max,
      windowMs: parseWindow(args.window as string),
      window: args.window as string,
    });
  }
  const verdicts = new WeakMap<object, Verdict>();
  const responseHeaders = new WeakMap<Request, Verdict['header']>();
  const occurrencesOf = new WeakMap<DocumentNode, Map<string, Occurrence[]>>();

  // Refused fields resolve to null with RATE_LIMITED; the rest of the operation is served.
  for (const coordinate of limits.keys()) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
    const resolve: GraphQLFieldResolver<unknown, GatewayContext> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context, info) => {
      const retryAfter = verdicts.get(context)?.refused.get(coordinate);
      if (retryAfter !== undefined) throw rateLimited(coordinate, retryAfter, false);
      return resolve(source, args, context, info);
    };
  }

  function occurrences(document: DocumentNode, operationName: string | null | undefined): Occurrence[] {
    let byOperation = occurrencesOf.get(document);
    if (!byOperation) {
      byOperation = new Map();
      occurrencesOf.set(document, byOperation);
    }
    const name = operationName ?? '';
    let found = byOperation.get(name);
    if (!found) {
      const collected: Occurrence[] = [];
      const operation = getOperationAST(document, operationName);
      if (operation) {
        const typeInfo = new TypeInfo(schema);
        let depth = 0;
        visit(
          {
            kind: 'Document',
            definitions: [operation, ...document.definitions.filter((d) => d.kind === 'FragmentDefinition')],
          } as DocumentNode,
          visitWithTypeInfo(typeInfo, {
            OperationDefinition: {
              enter() {
                depth = 0;
              },
            },
            Field: {
              enter() {
                const parent = typeInfo.getParentType();
                const field = typeInfo.getFieldDef();
                if (parent && field) {
                  const coordinate = `${getNamedType(parent).name}.${field.name}`;
                  if (limits.has(coordinate))
                    collected.push({
                      coordinate,
                      root: depth === 0 && parent === schema.getRootType(operation.operation),
                    });
                }
                depth++;
              },
              leave: () => void depth--,
            },
          }),
        );
      }
      found = collected;
      byOperation.set(name, found);
    }
    return found;
  }

  async function consume(checks: LimitCheck[], at: number): Promise<LimitResult[]> {
    try {
      return await store.consume(checks, at);
    } catch (err) {
      logger.warn({ err }, 'rate-limit store unreachable: counting on this instance only');
      onFallback?.();
      return fallback.consume(checks, at);
    }
  }

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue;
      const found = occurrences(args.document, args.operationName);
      const cost = operationCost
        ? operationCost(args.document, args.variableValues ?? undefined, args.operationName)
        : 0;
      if (found.length === 0 && cost === 0) return;
      const principal = context.principal;
      const identity = principal ? `client:${principal.clientId}` : `ip:${context.clientIp}`;
      const multiplier = plans[principal?.plan ?? 'free'] ?? plans.free ?? 1;
      const unique = [...new Set(found.map((o) => o.coordinate))];
      const checks: LimitCheck[] = unique.map((coordinate) => {
        const limit = limits.get(coordinate)!;
        return {
          key: `${identity}:${coordinate}`,
          max: Math.max(1, Math.floor(limit.max * multiplier)),
          windowMs: limit.windowMs,
          weight: 1,
        };
      });
      if (cost > 0)
        checks.push({
          key: `${identity}:cost`,
          max: Math.floor(costBudgetPerMinute * multiplier),
          windowMs: 60_000,
          weight: cost,
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
      responseHeaders.set((context as GatewayContext & { request: Request }).request, verdict.header);

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
      const roots = found.filter((o) => o.root);
      if (roots.length > 0 && roots.every((o) => verdict.refused.has(o.coordinate))) {
        const retryAfter = Math.max(...roots.map((o) => verdict.refused.get(o.coordinate)!));
        setResultAndStopExecution({
          errors: [...new Set(roots.map((o) => o.coordinate))].map((coordinate) =>
            rateLimited(coordinate, verdict.refused.get(coordinate)!, true, retryAfter),
          ),
        });
      }
    },
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
