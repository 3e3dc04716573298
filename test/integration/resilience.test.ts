/**
 * Upstream resilience (src/upstream/resilience.ts) against real sandboxes over real sockets: the
 * circuit breaker of a source that is down, Retry-After, mutations sent once, what is not retried,
 * the retry budget, and in-flight deduplication. Each gateway is its own: circuits are per instance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startMarketSandbox } from '../../sources/market/sandbox/server.js';
import { portfolioService } from '../../sources/portfolio/client.js';
import { startPortfolioSandbox } from '../../sources/portfolio/sandbox/server.js';
import type { RunningSandbox } from '../../sources/sandbox-kit/types.js';
import { createGrpcUpstream } from '../../src/upstream/grpc.js';
import { createHttpUpstream } from '../../src/upstream/http.js';
import type { UpstreamObserver, UpstreamOutcome } from '../../src/upstream/observer.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { parseExposition, sum } from '../helpers/metrics.js';

const TOKEN_AND_PORTFOLIO = /* GraphQL */ `
  { token(id: "bitcoin") { symbol signal { rating } } portfolio(accountId: "acc-1") { positions { quantity } } }
`;
const PLACE = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id clientOrderId } }
`;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gatewayForTest(env: Record<string, string> = {}): Promise<TestGateway> {
  const gateway = await startTestGateway({ env });
  cleanups.push(() => gateway.close());
  return gateway;
}

async function circuitGauge(gateway: TestGateway, source: string): Promise<number> {
  const text = await (await fetch(`${gateway.origin}/metrics`)).text();
  return sum(parseExposition(text), 'switchyard_upstream_circuit_state', { source });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('circuit breaker of a source that is down', () => {
  it('opens after five failed attempts, fails its fields fast while the others are served, then recovers without a restart', async () => {
    const gateway = await gatewayForTest();
    const signals = gateway.sandboxes.signals.control;
    signals.setFaults({ outage: 'reset' });

    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await gateway.graphql(TOKEN_AND_PORTFOLIO));
    for (const reply of replies) {
      const data = reply.body.data as {
        token: { symbol: string; signal: unknown };
        portfolio: { positions: unknown[] };
      };
      expect(data.token).toEqual({ symbol: 'BTC', signal: null });
      expect(data.portfolio.positions).toHaveLength(50);
      expect(reply.body.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([
        ['token.signal', 'UPSTREAM_UNAVAILABLE'],
      ]);
      expect(reply.body.errors?.[0]?.message).toBe('The signals service is unavailable.');
    }
    // Request 1: an attempt and two retries; request 2: two attempts, the fifth failure opens the
    // circuit; requests 3-5 never reach the sandbox.
    expect(signals.stats.byRoute['GET /v1/signals']).toBe(5);
    expect(await circuitGauge(gateway, 'signals')).toBe(2);
    expect(await circuitGauge(gateway, 'market')).toBe(0);

    signals.setFaults({ outage: 'off' });
    let failedFast = 0;
    const deadline = Date.now() + 8000;
    for (;;) {
      const reply = await gateway.graphql(TOKEN_AND_PORTFOLIO);
      const token = reply.body.data?.token as { signal: unknown } | undefined;
      if (token?.signal) break;
      failedFast++;
      expect(signals.stats.byRoute['GET /v1/signals']).toBe(5);
      expect(Date.now()).toBeLessThan(deadline);
      await delay(250);
    }
    // Half-open after 5 s: until then the healthy sandbox got nothing; one probe closed the circuit.
    expect(failedFast).toBeGreaterThan(5);
    expect(signals.stats.byRoute['GET /v1/signals']).toBe(6);
    expect(await circuitGauge(gateway, 'signals')).toBe(0);
  }, 15_000);
});

describe('half-open circuit of a hung source', () => {
  it('fails the other callers fast while its one probe hangs, and cuts the probe at its own shorter timeout', async () => {
    // A normal attempt's timeout well above the probe's (500 ms), so the two cannot be confused.
    const gateway = await gatewayForTest({ UPSTREAM_TIMEOUT_MS: '2000' });
    const signals = gateway.sandboxes.signals.control;
    const query = (id: string) => `{ token(id: "${id}") { symbol signal { rating } } }`;
    // Opened fast by resets; then the upstream hangs, as the probe will find it.
    signals.setFaults({ outage: 'reset' });
    for (let i = 0; i < 2; i++) await gateway.graphql(query('bitcoin'));
    expect(await circuitGauge(gateway, 'signals')).toBe(2);
    signals.setFaults({ outage: 'hang' });
    await delay(5100); // halfOpenAfterMs: the next call is the probe

    const timed = async (id: string) => {
      const started = performance.now();
      const reply = await gateway.graphql(query(id));
      return { reply, ms: performance.now() - started };
    };
    const probe = timed('bitcoin');
    await delay(30);
    // Other tokens: identical reads would share the probe's call (deduplication), these cannot.
    const others = await Promise.all(['ethereum', 'solana', 'cardano', 'tezos', 'eos', 'flow'].map(timed));
    for (const { reply, ms } of others) {
      expect(ms).toBeLessThan(300); // cockatiel alone held them until the probe ended (≥ 470 ms)
      expect(reply.body.data?.token).toEqual({ symbol: expect.any(String), signal: null });
      expect(reply.body.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([
        ['token.signal', 'UPSTREAM_UNAVAILABLE'],
      ]);
    }
    const probed = await probe;
    // probeTimeoutMs (500 ms), not the 2 s of a normal attempt; not retried, the circuit opens again.
    expect(probed.ms).toBeGreaterThanOrEqual(450);
    expect(probed.ms).toBeLessThan(1000);
    expect(probed.reply.body.errors?.map((e) => e.extensions?.code)).toEqual(['UPSTREAM_TIMEOUT']);
    expect(await circuitGauge(gateway, 'signals')).toBe(2);
    expect(signals.stats.byRoute['GET /v1/signals']).toBe(6); // five resets and the one probe
  }, 15_000);
});

describe('Retry-After', () => {
  it('retries a read answered 503 with Retry-After: 1 after that second, and succeeds', async () => {
    const gateway = await gatewayForTest();
    const signals = gateway.sandboxes.signals.control;
    signals.setFaults({ outage: 'error' });
    const pending = gateway.graphql('{ token(id: "bitcoin") { symbol signal { rating } } }');
    await expect.poll(() => signals.stats.total, { interval: 5 }).toBe(1);
    signals.setFaults({ outage: 'off' });
    const reply = await pending;

    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data).toEqual({ token: { symbol: 'BTC', signal: { rating: expect.any(String) } } });
    const arrivals = signals.stats.arrivals.filter((a) => a.route === 'GET /v1/signals').map((a) => a.at);
    expect(arrivals).toHaveLength(2);
    const gap = arrivals[1]! - arrivals[0]!;
    expect(gap).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeLessThan(1800);
  });
});

describe('mutations', () => {
  const input = (clientOrderId: string) => ({
    accountId: 'acc-1',
    tokenId: 'ethereum',
    side: 'BUY',
    type: 'LIMIT',
    quantity: '1',
    limitPrice: '3000',
    clientOrderId,
  });

  it('sends a failing PlaceOrder exactly once, and a timed-out one once, reported as ambiguous', async () => {
    const gateway = await gatewayForTest();
    const trading = gateway.sandboxes.trading.control;
    trading.setFaults({ outage: 'error' });
    const failed = await gateway.signed(PLACE, { input: input('res-error-1') });
    expect(failed.body.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', source: 'trading' });
    expect(trading.stats.byRoute.PlaceOrder).toBe(1);

    trading.reset();
    trading.setFaults({ outage: 'hang' });
    const timedOut = await gateway.signed(PLACE, { input: input('res-hang-1') });
    expect(timedOut.body.errors?.[0]?.extensions).toEqual({
      code: 'UPSTREAM_TIMEOUT',
      source: 'trading',
      clientOrderId: 'res-hang-1',
      ambiguous: true,
    });
    await delay(300); // longer than any backoff: a retry would have arrived by now
    expect(trading.stats.byRoute.PlaceOrder).toBe(1);
  });
});

/** Starts a sandbox for a test of the plumbing alone, closed after the test. */
async function sandboxForTest<S extends RunningSandbox>(start: () => Promise<S>): Promise<S> {
  const sandbox = await start();
  cleanups.push(() => sandbox.close());
  return sandbox;
}

describe('what is not retried', () => {
  it('sends a read answered 404 or 400 once, over HTTP and gRPC', async () => {
    const market = await sandboxForTest(startMarketSandbox);
    const http = createHttpUpstream({ name: 'market', url: market.target });
    cleanups.push(() => http.close());
    await expect(http.getJson('/v1/tokens/no-such-token')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(http.getJson('/v1/tokens?ids=NOT%20A%20SLUG')).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(market.control.stats.total).toBe(2);

    const portfolio = await sandboxForTest(startPortfolioSandbox);
    const grpc = createGrpcUpstream(portfolioService, { name: 'portfolio', address: portfolio.target });
    cleanups.push(() => grpc.close());
    await expect(grpc.unary('BatchGetPortfolios', { accountIds: [] })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(portfolio.control.stats.byRoute.BatchGetPortfolios).toBe(1);
  });
});

describe('retry budget', () => {
  it('caps retries at 10 + 20% of the calls while every call fails', async () => {
    const portfolio = await sandboxForTest(startPortfolioSandbox);
    let retries = 0;
    const observer: UpstreamObserver = {
      startCall: () => () => {},
      retry: () => retries++,
      circuitState: () => {},
    };
    // The breaker would stop the traffic after five failures: here only the budget is under test.
    const grpc = createGrpcUpstream(portfolioService, {
      name: 'portfolio',
      address: portfolio.target,
      observer,
      resilience: { breaker: false },
    });
    cleanups.push(() => grpc.close());
    portfolio.control.setFaults({ errorRate: 1 });
    const settled = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => grpc.unary('BatchGetAccounts', { accountIds: [`acc-${i}`] })),
    );
    expect(settled.every((result) => result.status === 'rejected')).toBe(true);
    // Unbudgeted, the 100 calls would have sent 300 RPCs.
    expect(retries).toBe(30);
    expect(portfolio.control.stats.byRoute.BatchGetAccounts).toBe(130);
  });
});

describe('in-flight deduplication', () => {
  const TOKEN = '{ token(id: "bitcoin") { symbol price { usd } } }';

  it('answers 20 concurrent identical token reads with one market call', async () => {
    const gateway = await gatewayForTest();
    const market = gateway.sandboxes.market.control;
    market.setFaults({ latencyMs: 50 });
    const replies = await Promise.all(Array.from({ length: 20 }, () => gateway.graphql(TOKEN)));
    for (const reply of replies) {
      expect(reply.body.errors).toBeUndefined();
      expect(reply.body.data).toEqual({ token: { symbol: 'BTC', price: { usd: '97250.5' } } });
    }
    expect(market.stats.byRoute['GET /v1/tokens']).toBeLessThanOrEqual(2);
  });

  it('lets a client that disconnects leave without failing the others', async () => {
    // A request whose client left while others were in flight holds shutdown to its deadline (seen
    // without the resilience layer too): a short deadline keeps this test fast.
    const gateway = await gatewayForTest({ SHUTDOWN_TIMEOUT: '200' });
    const market = gateway.sandboxes.market.control;
    market.setFaults({ latencyMs: 200 });
    // The first request starts the shared call, then its client goes away.
    const leaving = new AbortController();
    const first = fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gateway.as('user-1') },
      body: JSON.stringify({ query: TOKEN }),
      signal: leaving.signal,
    }).catch((err: unknown) => err);
    await expect.poll(() => market.stats.total, { interval: 5 }).toBe(1);
    const others = Array.from({ length: 9 }, () => gateway.graphql(TOKEN));
    await delay(30);
    leaving.abort();
    expect(await first).toBeInstanceOf(Error);
    for (const reply of await Promise.all(others)) {
      expect(reply.body.errors).toBeUndefined();
      expect(reply.body.data).toEqual({ token: { symbol: 'BTC', price: { usd: '97250.5' } } });
    }
    expect(market.stats.byRoute['GET /v1/tokens']).toBe(1);
  });

  it('aborts the shared upstream call when every waiter has gone', async () => {
    const market = await sandboxForTest(startMarketSandbox);
    const outcomes: UpstreamOutcome[] = [];
    const observer: UpstreamObserver = {
      startCall: () => (outcome) => outcomes.push(outcome),
      retry: () => {},
      circuitState: () => {},
    };
    const http = createHttpUpstream({ name: 'market', url: market.target, timeoutMs: 5000, observer });
    cleanups.push(() => http.close());
    market.control.setFaults({ outage: 'hang' });
    const waiters = [new AbortController(), new AbortController()];
    const calls = waiters.map((w) =>
      http.getJson('/v1/tokens/bitcoin', { signal: w.signal }).catch((err: unknown) => err),
    );
    await expect.poll(() => market.control.stats.total, { interval: 5 }).toBe(1);
    waiters[0]!.abort();
    await delay(20);
    expect(outcomes).toEqual([]); // one waiter is left: the call goes on
    waiters[1]!.abort();
    for (const call of calls) {
      expect(await call).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', detail: 'aborted by the client' });
    }
    await expect.poll(() => outcomes, { interval: 5, timeout: 1000 }).toEqual(['aborted']);
    expect(market.control.stats.total).toBe(1);
  });
});
