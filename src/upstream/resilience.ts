/**
 * Upstream resilience, configured in one place (STYLE.md 11; DESIGN.md "Failure policy"): which
 * calls are retried, how often and how far apart, the retry budget, the circuit breaker, the
 * bulkhead and in-flight deduplication, each default written down next to its option. http.ts and
 * grpc.ts run every call of a source through the `Resilience` of that source:
 *
 *   dedup (identical reads share one execution)
 *     └ retry loop (idempotent reads only, budgeted, Retry-After, jittered backoff)
 *         └ circuit breaker (per source, counts each attempt) → bulkhead (per source) → one attempt
 *
 * Half-open: cockatiel (3.2.1) lets one call through as the probe, and every other call that arrives
 * while it runs awaits the probe's end and then runs itself (`await state.test` in
 * CircuitBreakerPolicy.execute), so a probe hung on its upstream held every caller of the source
 * for a whole timeout. Here those callers fail at once, as while the circuit is open, and the probe
 * gets its own shorter timeout (`probeTimeoutMs`).
 *
 * The timeout is the attempt's own: undici's request timeouts plus an exact timer (http.ts), the
 * gRPC deadline (grpc.ts), `defaultTimeoutMs` unless UPSTREAM_TIMEOUT_MS says otherwise.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  CircuitState as BreakerState,
  BrokenCircuitError,
  BulkheadRejectedError,
  ConsecutiveBreaker,
  circuitBreaker,
  bulkhead as createBulkhead,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  TaskCancelledError,
} from 'cockatiel';
import { isUpstreamError, UpstreamError } from './errors.js';
import { createInFlight } from './in-flight.js';
import type { CircuitState, UpstreamObserver } from './observer.js';
import { createRetryBudget } from './retry-budget.js';

/** Time one attempt of an upstream call may take, in ms (UPSTREAM_TIMEOUT_MS overrides it). */
export const defaultTimeoutMs = 2000;

/** Retries of idempotent reads. */
export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retries off. @default 2 */
  maxRetries?: number;
  /**
   * Scale of the backoff before a retry, in ms: cockatiel's decorrelated-jitter exponential
   * backoff, so the first retry waits 0-140 ms and the second about 35-280 ms. @default 100
   */
  backoffInitialMs?: number;
  /** Longest backoff, in ms. @default 1000 */
  backoffMaxMs?: number;
  /**
   * Longest `Retry-After` (of a 503/429 answer) honoured, in ms. A shorter one is waited exactly
   * (plus up to `backoffInitialMs` of jitter, so callers told the same second do not return in
   * step); a longer one means no answer can come in time, so the call fails at once. @default 2000
   */
  maxRetryAfterMs?: number;
  /** Cap on retries per source, so a struggling upstream is not hammered. */
  budget?: RetryBudgetOptions;
}

/** The retry budget of a source. */
export interface RetryBudgetOptions {
  /** Retries may add this fraction of the source's calls over the window. @default 0.2 */
  ratio?: number;
  /** Retries allowed per window whatever the traffic, so a quiet source can still retry. @default 10 */
  minRetries?: number;
  /** Length of the rolling window, in ms. @default 10000 */
  windowMs?: number;
}

/** The circuit breaker of a source. */
export interface BreakerOptions {
  /** Consecutive failed attempts (UPSTREAM_UNAVAILABLE or UPSTREAM_TIMEOUT) that open it. @default 5 */
  consecutiveFailures?: number;
  /** Time an open circuit fails fast before one call probes the upstream (half-open), in ms. @default 5000 */
  halfOpenAfterMs?: number;
  /**
   * Time the half-open probe may take, in ms, when it is shorter than the attempt's own timeout: the
   * probe only has to learn whether the upstream answers again, and nobody else waits for it.
   * @default 500 (a quarter of `defaultTimeoutMs`)
   */
  probeTimeoutMs?: number;
}

/** The concurrency bulkhead of a source. */
export interface BulkheadOptions {
  /** Attempts in flight to the upstream at once. @default 128 */
  maxConcurrent?: number;
  /** Attempts waiting for a slot; past it, calls fail at once with UPSTREAM_UNAVAILABLE. @default 512 */
  maxQueued?: number;
}

/** Resilience of one source; `false` turns a part off (tests of the plumbing alone). */
export interface ResilienceOptions {
  /** @default the RetryOptions defaults */
  retry?: RetryOptions | false;
  /** @default the BreakerOptions defaults */
  breaker?: BreakerOptions | false;
  /** @default the BulkheadOptions defaults */
  bulkhead?: BulkheadOptions | false;
  /** Concurrent identical reads share one upstream call. @default true */
  dedup?: boolean;
}

/** Everything off: the plumbing sends each call once, as it is (tests of sources and transports). */
export const noResilience: ResilienceOptions = {
  retry: false,
  breaker: false,
  bulkhead: false,
  dedup: false,
};

/**
 * gRPC methods that are reads, by the naming the protos follow: `Get*`, `List*`, `BatchGet*` and
 * `Ping`. Anything else — `PlaceOrder`, `CancelOrder`, any RPC added later — is sent exactly once
 * unless it is named as a read here. REST upstreams are only ever read (http.ts sends GETs only).
 */
export function isIdempotentRpc(method: string): boolean {
  return READ_RPC.test(method);
}
const READ_RPC = /^(?:(?:Get|List|BatchGet)[A-Z]\w*|Ping)$/;

/** What the resilience layer needs to know about one call. */
export interface CallPlan {
  /** Bounded operation name (route template or RPC), for the observer's retry count. */
  readonly operation: string;
  /** An idempotent read: may be retried, and shared when `key` is set. */
  readonly idempotent: boolean;
  /** Identity of the read (method and path with query, or RPC and request message). */
  readonly key?: string | undefined;
}

/** The resilience of one source. */
export interface Resilience {
  /**
   * Runs `attempt` (one upstream request, given the signal it must honour) under the source's
   * policies; failures reject with UpstreamError only.
   */
  execute<T>(
    plan: CallPlan,
    attempt: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T>;
  /** The circuit's state now. */
  readonly circuitState: CircuitState;
  /** Whether identical reads are shared: callers need not build a `key` otherwise. */
  readonly dedup: boolean;
}

/** Builds the policies of one source; transitions and retries are reported to `observer`. */
export function createResilience(
  source: string,
  { retry = {}, breaker = {}, bulkhead = {}, dedup = true }: ResilienceOptions = {},
  observer?: UpstreamObserver,
): Resilience {
  const retryOptions: RetryOptions = retry === false ? { maxRetries: 0 } : retry;
  const {
    maxRetries = 2,
    backoffInitialMs = 100,
    backoffMaxMs = 1000,
    maxRetryAfterMs = 2000,
    budget: { ratio = 0.2, minRetries = 10, windowMs = 10_000 } = {},
  } = retryOptions;
  const budget = createRetryBudget({ ratio, minRetries, windowMs });
  const backoff = new ExponentialBackoff({ initialDelay: backoffInitialMs, maxDelay: backoffMaxMs });

  const circuit =
    breaker === false
      ? undefined
      : circuitBreaker(handleWhen(isUpstreamFailure), {
          halfOpenAfter: breaker.halfOpenAfterMs ?? 5000,
          breaker: new ConsecutiveBreaker(breaker.consecutiveFailures ?? 5),
        });
  const probeTimeoutMs = breaker === false ? 0 : (breaker.probeTimeoutMs ?? 500);
  // cockatiel emits onHalfOpen synchronously inside `execute`, just before it calls the probe's
  // function (also synchronously): the flag tells that function it is the probe.
  let probeStarting = false;
  circuit?.onHalfOpen(() => {
    probeStarting = true;
  });
  if (circuit && observer) {
    observer.circuitState(source, 'closed');
    circuit.onStateChange((state) => observer.circuitState(source, circuitStateName(state)));
  }
  const slots =
    bulkhead === false ? undefined : createBulkhead(bulkhead.maxConcurrent ?? 128, bulkhead.maxQueued ?? 512);
  const aborted = () => new UpstreamError('UPSTREAM_UNAVAILABLE', source, 'aborted by the client');
  const inFlight = dedup ? createInFlight(aborted) : undefined;

  /** One attempt through the breaker and the bulkhead. */
  function once<T>(
    attempt: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
  ) {
    const bounded = (attemptSignal: AbortSignal | undefined) =>
      slots ? slots.execute(() => attempt(attemptSignal), signal) : attempt(attemptSignal);
    if (!circuit) return bounded(signal);
    // A probe is in flight: fail now, as while open, instead of queueing behind it (cockatiel's way).
    if (circuit.state === BreakerState.HalfOpen) return Promise.reject(new BrokenCircuitError());
    return circuit.execute(async () => {
      const probe = probeStarting;
      probeStarting = false;
      try {
        return await (probe ? probeOnce(bounded, signal) : bounded(signal));
      } catch (err) {
        // The caller left: not a verdict on the upstream, so the breaker must not count it.
        throw signal?.aborted ? new CallerLeft(err) : err;
      }
    }, signal);
  }

  /** The half-open probe: the attempt, failed with UPSTREAM_TIMEOUT after `probeTimeoutMs`. */
  async function probeOnce<T>(
    bounded: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new UpstreamError('UPSTREAM_TIMEOUT', source, `probe: no answer within ${probeTimeoutMs} ms`));
        controller.abort(); // frees the attempt (its connection) once nobody waits for it
      }, probeTimeoutMs);
    });
    const running = bounded(controller.signal);
    running.catch(() => {}); // its failure after the probe timed out is nobody's concern
    try {
      return await Promise.race([running, expired]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async function run<T>(
    plan: CallPlan,
    attempt: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    budget.recordCall();
    let delays: IBackoff<unknown> | undefined;
    for (let retries = 0; ; retries++) {
      let failure: UpstreamError;
      try {
        return await once(attempt, signal);
      } catch (err) {
        // Only the upstream's own failures are retried: not the policies' refusals (circuit open,
        // bulkhead full), not answers such as NOT_FOUND, not a call whose caller left.
        if (!isUpstreamFailure(err)) throw toUpstreamError(err, source);
        failure = err;
      }
      if (
        !plan.idempotent ||
        retries >= maxRetries ||
        signal?.aborted ||
        // This attempt opened the circuit: fail now, with the upstream's error rather than "open".
        circuit?.state === BreakerState.Open
      ) {
        throw failure;
      }
      const retryAfterMs = failure.retryAfterMs;
      if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) throw failure;
      if (!budget.tryRetry()) throw failure;
      delays = delays ? delays.next(undefined) : backoff.next();
      const delayMs =
        retryAfterMs === undefined ? delays.duration : retryAfterMs + Math.random() * backoffInitialMs;
      observer?.retry(source, plan.operation);
      try {
        await sleep(delayMs, undefined, signal ? { signal } : undefined);
      } catch {
        throw failure; // the caller left while waiting
      }
    }
  }

  return {
    execute(plan, attempt, signal) {
      if (inFlight && plan.idempotent && plan.key !== undefined) {
        return inFlight.run(plan.key, (shared) => run(plan, attempt, shared), signal);
      }
      return run(plan, attempt, signal);
    },
    get circuitState() {
      return circuit ? circuitStateName(circuit.state) : 'closed';
    },
    dedup,
  };
}

/** A failure that says the upstream is unwell: the only kind retried and counted by the breaker. */
function isUpstreamFailure(err: unknown): err is UpstreamError {
  return isUpstreamError(err) && (err.code === 'UPSTREAM_UNAVAILABLE' || err.code === 'UPSTREAM_TIMEOUT');
}

/** Carries an attempt's error through the breaker uncounted, when the caller has left. */
class CallerLeft extends Error {
  constructor(readonly error: unknown) {
    super('caller left');
  }
}

/** The policies' own refusals as catalogue errors; nothing internal reaches the client message. */
function toUpstreamError(err: unknown, source: string): unknown {
  // instanceof, not cockatiel's isXError guards: in 3.2.1 isTaskCancelledError and
  // isIsolatedCircuitError test for the bulkhead's marker.
  if (err instanceof CallerLeft) return err.error;
  if (err instanceof BrokenCircuitError) {
    return new UpstreamError('UPSTREAM_UNAVAILABLE', source, 'circuit open: failing fast', { cause: err });
  }
  if (err instanceof BulkheadRejectedError) {
    return new UpstreamError('UPSTREAM_UNAVAILABLE', source, 'bulkhead full: too many calls in flight', {
      cause: err,
    });
  }
  if (err instanceof TaskCancelledError) {
    return new UpstreamError('UPSTREAM_UNAVAILABLE', source, 'aborted by the client', { cause: err });
  }
  return err;
}

function circuitStateName(state: BreakerState): CircuitState {
  switch (state) {
    case BreakerState.Closed:
      return 'closed';
    case BreakerState.HalfOpen:
      return 'half_open';
    default:
      return 'open';
  }
}
