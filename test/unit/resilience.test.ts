import { describe, expect, it } from 'vitest';
import { portfolioService } from '../../sources/portfolio/client.js';
import { tradingService } from '../../sources/trading/client.js';
import { UpstreamError, type UpstreamErrorCode } from '../../src/upstream/errors.js';
import { retryAfterMs } from '../../src/upstream/http.js';
import { createInFlight } from '../../src/upstream/in-flight.js';
import type { CircuitState, UpstreamObserver } from '../../src/upstream/observer.js';
import {
  type CallPlan,
  createResilience,
  isIdempotentRpc,
  type ResilienceOptions,
} from '../../src/upstream/resilience.js';
import { createRetryBudget } from '../../src/upstream/retry-budget.js';

const READ: CallPlan = { operation: 'GetThing', idempotent: true };
const WRITE: CallPlan = { operation: 'PlaceOrder', idempotent: false };

function failure(code: UpstreamErrorCode, retryAfterMs?: number): UpstreamError {
  return new UpstreamError(code, 'test', `injected ${code}`, { retryAfterMs });
}

/** An attempt function that fails with the given errors in turn, then answers `ok`. */
function scripted(...failures: UpstreamError[]) {
  const attempts: { at: number; signal: AbortSignal | undefined }[] = [];
  const attempt = async (signal: AbortSignal | undefined) => {
    attempts.push({ at: performance.now(), signal });
    const next = failures.shift();
    if (next) throw next;
    return 'ok';
  };
  return { attempt, attempts };
}

function recorder(): { observer: UpstreamObserver; retries: string[]; states: CircuitState[] } {
  const retries: string[] = [];
  const states: CircuitState[] = [];
  return {
    retries,
    states,
    observer: {
      startCall: () => () => {},
      retry: (source, operation) => retries.push(`${source} ${operation}`),
      circuitState: (_source, state) => states.push(state),
    },
  };
}

/** Fast backoff; the breaker off unless a test is about it. */
const quick: ResilienceOptions = { retry: { backoffInitialMs: 1, backoffMaxMs: 2 }, breaker: false };

describe('which calls are reads', () => {
  it('treats every RPC of the protos by name: reads retried, orders sent once', () => {
    const classified = Object.fromEntries(
      [...Object.keys(portfolioService.service), ...Object.keys(tradingService.service)].map((rpc) => [
        rpc,
        isIdempotentRpc(rpc),
      ]),
    );
    expect(classified).toEqual({
      ListAccounts: true,
      BatchGetAccounts: true,
      BatchGetPortfolios: true,
      Ping: true,
      PlaceOrder: false,
      CancelOrder: false,
      BatchGetOrders: true,
      ListOrders: true,
      // A server stream never meets the retry loop (GrpcUpstream.serverStream); not a read either way.
      StreamOrderEvents: false,
    });
    expect(isIdempotentRpc('Getaway')).toBe(false);
    expect(isIdempotentRpc('UpdateOrder')).toBe(false);
  });
});

describe('retries', () => {
  it('retries an unavailable or timed-out read at most twice, then fails with the upstream error', async () => {
    const { observer, retries } = recorder();
    const policies = createResilience('test', quick, observer);
    const { attempt, attempts } = scripted(
      failure('UPSTREAM_UNAVAILABLE'),
      failure('UPSTREAM_TIMEOUT'),
      failure('UPSTREAM_UNAVAILABLE'),
    );
    await expect(policies.execute(READ, attempt, undefined)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      detail: 'injected UPSTREAM_UNAVAILABLE',
    });
    expect(attempts).toHaveLength(3);
    expect(retries).toEqual(['test GetThing', 'test GetThing']);

    const healing = scripted(failure('UPSTREAM_TIMEOUT'));
    await expect(policies.execute(READ, healing.attempt, undefined)).resolves.toBe('ok');
    expect(healing.attempts).toHaveLength(2);
  });

  it('sends a mutation exactly once, whatever it fails with', async () => {
    const policies = createResilience('test', quick);
    for (const code of ['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT'] as const) {
      const { attempt, attempts } = scripted(failure(code));
      await expect(policies.execute(WRITE, attempt, undefined)).rejects.toMatchObject({ code });
      expect(attempts).toHaveLength(1);
    }
  });

  it('does not retry answers: NOT_FOUND and BAD_USER_INPUT are sent once', async () => {
    const policies = createResilience('test', quick);
    for (const code of ['NOT_FOUND', 'BAD_USER_INPUT'] as const) {
      const { attempt, attempts } = scripted(failure(code));
      await expect(policies.execute(READ, attempt, undefined)).rejects.toMatchObject({ code });
      expect(attempts).toHaveLength(1);
    }
  });

  it('does not retry a call whose caller left, and stops waiting for a backoff when it leaves', async () => {
    const policies = createResilience('test', { ...quick, retry: { backoffInitialMs: 5000 } });
    const gone = new AbortController();
    const during = scripted();
    const left = policies.execute(
      READ,
      async (signal) => {
        await during.attempt(signal);
        gone.abort();
        throw failure('UPSTREAM_UNAVAILABLE');
      },
      gone.signal,
    );
    await expect(left).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(during.attempts).toHaveLength(1);

    const waiting = new AbortController();
    const { attempt, attempts } = scripted(
      failure('UPSTREAM_UNAVAILABLE', 1000),
      failure('UPSTREAM_UNAVAILABLE'),
    );
    const started = performance.now();
    const call = policies.execute(READ, attempt, waiting.signal);
    setTimeout(() => waiting.abort(), 20);
    await expect(call).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(attempts).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(500); // not the 1 s Retry-After
  });

  it('waits the Retry-After an upstream asks for, and does not retry when it asks for longer than the cap', async () => {
    const policies = createResilience('test', {
      ...quick,
      retry: { backoffInitialMs: 1, maxRetryAfterMs: 500 },
    });
    const polite = scripted(failure('UPSTREAM_UNAVAILABLE', 200));
    await expect(policies.execute(READ, polite.attempt, undefined)).resolves.toBe('ok');
    expect(polite.attempts).toHaveLength(2);
    expect(polite.attempts[1]!.at - polite.attempts[0]!.at).toBeGreaterThanOrEqual(199);

    const tooLong = scripted(failure('UPSTREAM_UNAVAILABLE', 30_000));
    await expect(policies.execute(READ, tooLong.attempt, undefined)).rejects.toMatchObject({
      retryAfterMs: 30_000,
    });
    expect(tooLong.attempts).toHaveLength(1);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs(['2', '5'])).toBe(2000);
    const inThreeSeconds = new Date(Date.now() + 3000).toUTCString();
    expect(retryAfterMs(inThreeSeconds)).toBeGreaterThan(1000);
    expect(retryAfterMs(inThreeSeconds)).toBeLessThanOrEqual(3000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:00 GMT')).toBe(0);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('retry budget', () => {
  it('allows the floor, then a ratio of the calls, over a sliding window', () => {
    let now = 0;
    const budget = createRetryBudget({ ratio: 0.2, minRetries: 2, windowMs: 1000 }, () => now);
    const granted = () => {
      let n = 0;
      while (budget.tryRetry()) n++;
      return n;
    };
    expect(granted()).toBe(2); // the floor, without any call
    for (let i = 0; i < 50; i++) budget.recordCall();
    expect(granted()).toBe(10); // 2 + 0.2 x 50 = 12 in all
    now = 500;
    expect(granted()).toBe(0); // same window
    now = 1100; // the first tenth of the window (and its calls and retries) has slid out
    expect(granted()).toBe(2);
    now = 5000;
    for (let i = 0; i < 10; i++) budget.recordCall();
    expect(granted()).toBe(4);
  });

  it('caps retries at the floor plus 20% of the calls under a sustained error rate', async () => {
    const { observer, retries } = recorder();
    // The default budget (10 + 20% per 10 s); quick backoff, no breaker.
    const policies = createResilience('test', quick, observer);
    let attempts = 0;
    const alwaysFailing = async () => {
      attempts++;
      throw failure('UPSTREAM_UNAVAILABLE');
    };
    const settled = await Promise.allSettled(
      Array.from({ length: 100 }, () => policies.execute(READ, alwaysFailing, undefined)),
    );
    expect(settled.every((result) => result.status === 'rejected')).toBe(true);
    // Unbudgeted, 100 calls would make 200 retries; the default budget is 10 + 0.2 x 100.
    expect(retries).toHaveLength(30);
    expect(attempts).toBe(130);
  });
});

describe('circuit breaker', () => {
  it('opens after 5 consecutive failures, fails fast without calling, and closes after a good probe', async () => {
    const { observer, states } = recorder();
    const policies = createResilience('test', { retry: false, breaker: { halfOpenAfterMs: 100 } }, observer);
    let calls = 0;
    let healthy = false;
    const attempt = async () => {
      calls++;
      if (!healthy) throw failure('UPSTREAM_TIMEOUT');
      return 'ok';
    };
    for (let i = 0; i < 5; i++) {
      await expect(policies.execute(READ, attempt, undefined)).rejects.toMatchObject({
        code: 'UPSTREAM_TIMEOUT',
      });
    }
    expect(policies.circuitState).toBe('open');
    const fast = await policies.execute(READ, attempt, undefined).catch((err: unknown) => err);
    expect(fast).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', detail: 'circuit open: failing fast' });
    expect(calls).toBe(5);

    await new Promise((resolve) => setTimeout(resolve, 120));
    // Still down: the probe fails and the circuit opens again.
    await expect(policies.execute(READ, attempt, undefined)).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
    });
    expect(calls).toBe(6);
    expect(policies.circuitState).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 120));
    healthy = true;
    await expect(policies.execute(READ, attempt, undefined)).resolves.toBe('ok');
    expect(policies.circuitState).toBe('closed');
    expect(states).toEqual(['closed', 'open', 'half_open', 'open', 'half_open', 'closed']);
  });

  it('counts neither answers nor calls whose caller left', async () => {
    const policies = createResilience('test', { retry: false, breaker: { consecutiveFailures: 2 } });
    const notFound = async () => {
      throw failure('NOT_FOUND');
    };
    for (let i = 0; i < 3; i++) await policies.execute(READ, notFound, undefined).catch(() => undefined);
    for (let i = 0; i < 3; i++) {
      const gone = new AbortController();
      await policies
        .execute(
          WRITE,
          async () => {
            gone.abort();
            throw failure('UPSTREAM_UNAVAILABLE');
          },
          gone.signal,
        )
        .catch(() => undefined);
    }
    expect(policies.circuitState).toBe('closed');
  });

  it('stops retrying once the circuit opens, failing with the upstream error', async () => {
    const policies = createResilience('test', {
      retry: { backoffInitialMs: 1, backoffMaxMs: 2 },
      breaker: { consecutiveFailures: 2 },
    });
    const { attempt, attempts } = scripted(
      failure('UPSTREAM_TIMEOUT'),
      failure('UPSTREAM_TIMEOUT'),
      failure('UPSTREAM_TIMEOUT'),
    );
    await expect(policies.execute(READ, attempt, undefined)).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
    });
    expect(attempts).toHaveLength(2);
  });
});

describe('half-open circuit', () => {
  /** A breaker opened by one timeout, whose cool-down has passed: the next call is the probe. */
  async function halfOpenable(probeTimeoutMs: number) {
    const policies = createResilience('test', {
      retry: false,
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 50, probeTimeoutMs },
    });
    await policies
      .execute(
        READ,
        async () => {
          throw failure('UPSTREAM_TIMEOUT');
        },
        undefined,
      )
      .catch(() => undefined);
    expect(policies.circuitState).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 60));
    return policies;
  }

  it('fails the other callers at once while its one probe hangs on the upstream', async () => {
    const policies = await halfOpenable(2000);
    let release: (value: string) => void = () => {};
    const probeSignals: (AbortSignal | undefined)[] = [];
    const probe = policies.execute(
      READ,
      (signal) => {
        probeSignals.push(signal);
        return new Promise<string>((resolve) => {
          release = resolve;
        });
      },
      undefined,
    );
    expect(policies.circuitState).toBe('half_open');

    let othersCalled = 0;
    const started = performance.now();
    const others = await Promise.all(
      Array.from({ length: 20 }, () =>
        policies
          .execute(
            READ,
            async () => {
              othersCalled++;
              return 'ok';
            },
            undefined,
          )
          .catch((err: unknown) => err),
      ),
    );
    // cockatiel alone would hold all 20 until the probe ended, then run each of them.
    expect(performance.now() - started).toBeLessThan(50);
    expect(othersCalled).toBe(0);
    for (const err of others) {
      expect(err).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', detail: 'circuit open: failing fast' });
    }

    release('ok');
    await expect(probe).resolves.toBe('ok');
    expect(probeSignals).toHaveLength(1);
    expect(policies.circuitState).toBe('closed');
    await expect(policies.execute(READ, async () => 'after', undefined)).resolves.toBe('after');
  });

  it('gives the probe a shorter timeout than a call, aborts it, and opens again', async () => {
    const policies = await halfOpenable(100);
    let probeSignal: AbortSignal | undefined;
    const started = performance.now();
    const probe = policies.execute(
      READ,
      (signal) => {
        probeSignal = signal;
        return new Promise<string>(() => {}); // a hung upstream: never answers
      },
      undefined,
    );
    await expect(probe).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      detail: 'probe: no answer within 100 ms',
    });
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(300);
    expect(probeSignal?.aborted).toBe(true);
    expect(policies.circuitState).toBe('open');

    // A normal call (circuit closed) is not cut at the probe's timeout.
    const closed = createResilience('test', { retry: false, breaker: { probeTimeoutMs: 20 } });
    const slow = closed.execute(
      READ,
      () => new Promise<string>((resolve) => setTimeout(resolve, 80, 'slow but fine')),
      undefined,
    );
    await expect(slow).resolves.toBe('slow but fine');
  });
});

describe('bulkhead', () => {
  it('runs at most maxConcurrent attempts, queues maxQueued, and refuses the rest at once', async () => {
    const policies = createResilience('test', {
      retry: false,
      breaker: false,
      bulkhead: { maxConcurrent: 2, maxQueued: 1 },
    });
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const attempt = () =>
      new Promise<string>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        release.push(() => {
          running--;
          resolve('ok');
        });
      });
    const calls = Array.from({ length: 4 }, () => policies.execute(WRITE, attempt, undefined));
    await expect(calls[3]).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      detail: 'bulkhead full: too many calls in flight',
    });
    while (release.length > 0 || running > 0) {
      release.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(calls.slice(0, 3))).toEqual(['ok', 'ok', 'ok']);
    expect(peak).toBe(2);
  });
});

describe('in-flight deduplication', () => {
  const aborted = () => new UpstreamError('UPSTREAM_UNAVAILABLE', 'test', 'aborted by the client');

  it('shares one execution among concurrent identical reads, and starts afresh once it settled', async () => {
    const policies = createResilience('test', quick);
    let calls = 0;
    const attempt = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { calls };
    };
    const plan = { ...READ, key: 'GetThing {"id":"a"}' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => policies.execute(plan, attempt, undefined)),
    );
    expect(calls).toBe(1);
    expect(new Set(answers).size).toBe(1);
    await policies.execute({ ...READ, key: 'GetThing {"id":"b"}' }, attempt, undefined);
    await policies.execute(plan, attempt, undefined);
    expect(calls).toBe(3);
    // Mutations are never shared, even with a key.
    await Promise.all([
      policies.execute({ ...WRITE, key: 'x' }, attempt, undefined),
      policies.execute({ ...WRITE, key: 'x' }, attempt, undefined),
    ]);
    expect(calls).toBe(5);
  });

  it('lets a waiter leave without failing the others, and aborts the execution when the last one leaves', async () => {
    const inFlight = createInFlight(aborted);
    const started: { signal: AbortSignal; finish: (value: string) => void }[] = [];
    const start = (signal: AbortSignal) =>
      new Promise<string>((resolve) => {
        started.push({ signal, finish: resolve });
      });
    const [a, b, c, d] = [
      new AbortController(),
      new AbortController(),
      new AbortController(),
      new AbortController(),
    ];

    const first = inFlight.run('k', start, a.signal);
    const second = inFlight.run('k', start, b.signal);
    expect(started).toHaveLength(1);
    a.abort();
    await expect(first).rejects.toMatchObject({ detail: 'aborted by the client' });
    expect(started[0]!.signal.aborted).toBe(false);
    started[0]!.finish('done');
    await expect(second).resolves.toBe('done');

    const third = inFlight.run('k', start, c.signal);
    const fourth = inFlight.run('k', start, d.signal);
    expect(started).toHaveLength(2);
    c.abort();
    expect(started[1]!.signal.aborted).toBe(false);
    d.abort();
    expect(started[1]!.signal.aborted).toBe(true);
    await expect(third).rejects.toMatchObject({ detail: 'aborted by the client' });
    await expect(fourth).rejects.toMatchObject({ detail: 'aborted by the client' });
    // Nobody waits on the aborted execution any more: the next read starts its own.
    expect(inFlight.size).toBe(0);
    const fifth = inFlight.run('k', start, undefined);
    expect(started).toHaveLength(3);
    started[2]!.finish('again');
    await expect(fifth).resolves.toBe('again');
  });
});
