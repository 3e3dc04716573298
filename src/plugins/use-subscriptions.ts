/**
 * The lifecycle of a subscription, after every policy of the request path has admitted it (the
 * policy plugins run their checks in `onSubscribe` exactly as in `onExecute`):
 *
 * - a lease per subscription caps the concurrent subscriptions of a client (API-key client, JWT
 *   user within its app, or IP for anonymous callers) across instances: `maxPerClient` scaled by
 *   the plan, refused with RATE_LIMITED (`limit: "subscriptions"`);
 * - the stream is registered so that revocation, expiry and shutdown end it with a coded last
 *   message (src/streams/subscription-registry.ts);
 * - an error from the feed (a slow consumer, a source that stays down) becomes a catalogue error as
 *   the last message instead of a broken connection;
 * - metrics count it, and one access-log line tells how it ended, how long it lasted and how many
 *   messages it carried.
 */
import { randomUUID } from 'node:crypto';
import { isAsyncIterable } from '@envelop/core';
import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { PrincipalContext } from '../auth/principal.js';
import { gatewayError, isErrorCode } from '../errors.js';
import type { OperationAnalyzer } from '../gateway/operation-analysis.js';
import type { SubscriptionLeaseStore } from '../stores/subscription-leases.js';
import type { SubscriptionRegistry } from '../streams/subscription-registry.js';
import type { StreamMetrics, SubscriptionEnd } from '../telemetry/stream-metrics.js';
import { budgetOwner, planMultiplier } from './use-rate-limits.js';

export interface SubscriptionsPluginOptions {
  analyzer: OperationAnalyzer;
  registry: SubscriptionRegistry;
  /** Concurrent-subscription leases, shared by instances (Redis) or this one's (memory). */
  leases: SubscriptionLeaseStore;
  /** Concurrent subscriptions of a client on the `free` plan; other plans scale it. */
  maxPerClient: number;
  /** Plan multipliers (RATE_LIMIT_PLANS). */
  plans: Readonly<Record<string, number>>;
  metrics: StreamMetrics;
  logger: Logger;
  /** How long a lease outlives an instance that died holding it; renewed every third of it. @default 60000 */
  leaseTtlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

type SubscriptionContext = PrincipalContext & { clientIp: string; requestId?: string };

interface Lease {
  readonly owner: string;
  readonly leaseId: string;
}

const ERROR_REASONS: Readonly<Record<string, SubscriptionEnd>> = {
  SLOW_CONSUMER: 'slow_consumer',
  UPSTREAM_UNAVAILABLE: 'upstream',
  UPSTREAM_TIMEOUT: 'upstream',
  BAD_USER_INPUT: 'upstream',
  NOT_FOUND: 'upstream',
};

export function useSubscriptions({
  analyzer,
  registry,
  leases,
  maxPerClient,
  plans,
  metrics,
  logger,
  leaseTtlMs = 60_000,
  now = Date.now,
}: SubscriptionsPluginOptions): Plugin<SubscriptionContext> {
  const held = new Set<Lease>();
  let renewal: NodeJS.Timeout | undefined;

  function hold(lease: Lease): void {
    held.add(lease);
    renewal ??= setInterval(() => {
      leases.renew([...held], leaseTtlMs).catch((err: unknown) => {
        logger.warn({ err }, 'could not renew subscription leases');
      });
    }, leaseTtlMs / 3).unref();
  }

  function release(lease: Lease): void {
    held.delete(lease);
    if (held.size === 0 && renewal) {
      clearInterval(renewal);
      renewal = undefined;
    }
    leases.release(lease.owner, lease.leaseId).catch((err: unknown) => {
      logger.warn({ err }, 'could not release a subscription lease; it expires on its own');
    });
  }

  function track(
    source: AsyncIterable<ExecutionResult>,
    context: SubscriptionContext,
    field: string,
    lease: Lease,
  ): AsyncIterableIterator<ExecutionResult> {
    const inner = source[Symbol.asyncIterator]();
    const started = now();
    let messages = 0;
    let last: ExecutionResult | null = null;
    let reason: SubscriptionEnd | null = null;
    let finished = false;
    let wake: (() => void) | null = null;

    const principal = context.principal;
    const remove = registry.add({
      principal,
      end(error, why) {
        if (finished || last) return;
        last = { errors: [error] };
        reason = why;
        wake?.();
      },
    });
    metrics.active.inc({ field });

    function finish(why: SubscriptionEnd): void {
      if (finished) return;
      finished = true;
      reason ??= why;
      remove();
      release(lease);
      metrics.active.dec({ field });
      metrics.ended.inc({ field, reason });
      logger.info(
        {
          requestId: context.requestId,
          clientId: principal?.clientId,
          subscription: field,
          reason,
          messages,
          durationMs: now() - started,
        },
        'subscription ended',
      );
      void inner.return?.();
    }

    const iterator: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        while (!finished) {
          if (last) {
            const value = last;
            last = null;
            finish(reason ?? 'error');
            return { value, done: false };
          }
          const stopped = new Promise<'stopped'>((resolve) => {
            wake = () => resolve('stopped');
          });
          let step: IteratorResult<ExecutionResult> | 'stopped';
          try {
            step = await Promise.race([inner.next(), stopped]);
          } catch (err) {
            const error = asCatalogueError(err, logger);
            last ??= { errors: [error] };
            reason ??= ERROR_REASONS[String(error.extensions.code)] ?? 'error';
            continue;
          } finally {
            wake = null;
          }
          if (step === 'stopped') continue;
          if (step.done) {
            finish('complete');
            return step;
          }
          messages++;
          metrics.delivered.inc({ field });
          return step;
        }
        return { value: undefined, done: true };
      },
      async return() {
        finish('client');
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  return {
    async onSubscribe({ args, setResultAndStopExecution, subscribeFn, setSubscribeFn }) {
      const context = args.contextValue;
      const analysis = analyzer.analyze(args.document, args.operationName, args.variableValues);
      const field = analysis?.occurrences.find((o) => o.root)?.coordinate ?? 'Subscription.unknown';
      const principal = context.principal;
      const owner = budgetOwner(principal, context.clientIp);
      const limit = Math.max(1, Math.floor(maxPerClient * planMultiplier(plans, principal)));
      const lease: Lease = { owner, leaseId: randomUUID() };
      const { acquired } = await leases.acquire(owner, lease.leaseId, limit, leaseTtlMs);
      if (!acquired) {
        setResultAndStopExecution({
          errors: [
            gatewayError(
              'RATE_LIMITED',
              `This client already holds ${limit} open subscriptions, the most its plan allows: end one first.`,
              { limit: 'subscriptions', max: limit },
              { http: true },
            ),
          ],
        });
        return;
      }
      hold(lease);
      // A subscribe that throws (graphql-js answers errors as a result, so only a bug) returns it too.
      setSubscribeFn(async (subscribeArgs) => {
        try {
          return await subscribeFn(subscribeArgs);
        } catch (err) {
          release(lease);
          throw err;
        }
      });
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) {
            release(lease);
            return;
          }
          setResult(track(result as AsyncIterable<ExecutionResult>, context, field, lease));
        },
      };
    },
  };
}

/** A catalogue error stays as it is; anything else is logged and masked. */
function asCatalogueError(err: unknown, logger: Logger): GraphQLError {
  if (err instanceof GraphQLError && isErrorCode(err.extensions.code)) return err;
  logger.error({ err }, 'subscription feed failed');
  return gatewayError('INTERNAL_SERVER_ERROR', 'The subscription failed.');
}
