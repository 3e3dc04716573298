import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type Exposition, labelValues, parseExposition, sum } from '../helpers/metrics.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/** Every family the gateway registers: driven by traffic, or by the API later plugins call. */
const FAMILIES = [
  'switchyard_request_duration_seconds',
  'switchyard_operation_duration_seconds',
  'switchyard_requests_in_flight',
  'switchyard_graphql_errors_total',
  'switchyard_upstream_requests_total',
  'switchyard_upstream_request_duration_seconds',
  'switchyard_upstream_retries_total',
  'switchyard_upstream_circuit_state',
  'switchyard_response_cache_requests_total',
  'switchyard_rate_limit_refusals_total',
  'switchyard_auth_failures_total',
  'switchyard_signature_failures_total',
  'switchyard_api_key_requests_total',
  'switchyard_redis_errors_total',
];

const PORTFOLIO = /* GraphQL */ `
  query Portfolio { portfolio(accountId: "acc-1") { positions { quantity token { symbol price { usd } signal { rating } } } } }
`;
const TOKEN_QUERY = /* GraphQL */ `query Token { token(id: "bitcoin") { symbol signal { rating } } }`;

async function scrape(gateway: TestGateway, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.origin}/metrics`, { headers });
}

async function exposition(gateway: TestGateway): Promise<Exposition> {
  const response = await scrape(gateway, { authorization: `Bearer ${TOKEN}` });
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

describe('GET /metrics', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { METRICS_TOKEN: TOKEN, UPSTREAM_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('refuses a scrape without the bearer token, or with a wrong one', async () => {
    const missing = await scrape(gateway);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await missing.text()).not.toContain('switchyard_');
    const wrong = await scrape(gateway, { authorization: `Bearer ${TOKEN.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    const basic = await scrape(gateway, {
      authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
    });
    expect(basic.status).toBe(401);
  });

  it('counts requests by operation and outcome, upstream calls by source and outcome, errors by code', async () => {
    const before = await exposition(gateway);
    expect((await gateway.graphql(PORTFOLIO)).body.errors).toBeUndefined();
    expect((await gateway.graphql(TOKEN_QUERY)).body.errors).toBeUndefined();
    await gateway.graphql('{ token(id: "bitcoin") { symbol } ');
    gateway.sandboxes.signals.control.setFaults({ outage: 'error' });
    const partial = await gateway.graphql(TOKEN_QUERY);
    expect(partial.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    gateway.sandboxes.signals.control.setFaults({ outage: 'hang' });
    await gateway.graphql(TOKEN_QUERY);
    gateway.resetSandboxes();

    const after = await exposition(gateway);
    const delta = (name: string, labels: Record<string, string>) =>
      sum(after, name, labels) - sum(before, name, labels);
    const requests = 'switchyard_request_duration_seconds_count';
    expect(delta(requests, { operation: 'Portfolio', type: 'query', outcome: 'ok' })).toBe(1);
    expect(delta(requests, { operation: 'Token', type: 'query', outcome: 'ok' })).toBe(1);
    expect(delta(requests, { operation: 'Token', type: 'query', outcome: 'partial' })).toBe(2);
    expect(delta(requests, { operation: '__none', outcome: 'client_error' })).toBe(1);
    expect(delta('switchyard_operation_duration_seconds_count', { operation: 'Portfolio' })).toBe(1);
    expect(delta('switchyard_graphql_errors_total', { code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
    expect(delta('switchyard_graphql_errors_total', { code: 'UPSTREAM_UNAVAILABLE' })).toBe(1);
    expect(delta('switchyard_graphql_errors_total', { code: 'UPSTREAM_TIMEOUT' })).toBe(1);

    const upstream = 'switchyard_upstream_requests_total';
    expect(delta(upstream, { source: 'portfolio', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(delta(upstream, { source: 'market', outcome: 'ok' })).toBe(4);
    expect(delta(upstream, { source: 'signals', outcome: 'ok' })).toBe(2);
    // Reads are retried twice (resilience.ts): the 503 is sent three times; the hang twice, as the
    // fifth consecutive failure opens the signals circuit and the call fails with its timeout.
    expect(delta(upstream, { source: 'signals', outcome: 'error' })).toBe(3);
    expect(delta(upstream, { source: 'signals', outcome: 'timeout' })).toBe(2);
    expect(delta('switchyard_upstream_retries_total', { source: 'signals' })).toBe(3);
    expect(sum(after, 'switchyard_upstream_circuit_state', { source: 'signals' })).toBe(2);
    expect(sum(after, 'switchyard_upstream_circuit_state', { source: 'market' })).toBe(0);
    expect(labelValues(after, 'switchyard_upstream_request_duration_seconds_count', 'operation')).toEqual(
      expect.arrayContaining(['/v1/tokens', '/v1/signals', 'BatchGetPortfolios']),
    );
    expect(sum(after, 'switchyard_requests_in_flight')).toBe(0);
  });

  it('caps operation names a client invents, and labels invalid and anonymous ones apart', async () => {
    await gateway.graphql('{ token(id: "bitcoin") { id } }');
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gateway.as('user-1') },
      body: JSON.stringify({ query: 'query A { token(id: "bitcoin") { id } }', operationName: 'not a name' }),
    });
    expect(response.status).toBe(400);
    const after = await exposition(gateway);
    const operations = labelValues(after, 'switchyard_request_duration_seconds_count', 'operation');
    expect(operations).toContain('__anonymous');
    expect(operations).toContain('__invalid');
    expect(operations).not.toContain('not a name');
  });

  it('shows every family once traffic and the plugins that own them have reported', async () => {
    const { metrics } = gateway.running;
    // The families of identity, signing, rate limits, cache and resilience are driven by those
    // features through this API; they are exercised here through the instance's registry.
    metrics.authFailures.inc({ code: 'KEY_REVOKED', client: 'user-1' });
    metrics.signatureFailures.inc({ code: 'REPLAYED_REQUEST', client: 'user-1' });
    metrics.apiKeyRequests.inc({ client: 'user-1', version: '2', state: 'grace' });
    metrics.rateLimitRefusals.inc({ field: 'Query.portfolio' });
    metrics.responseCache.inc({ result: 'hit' });
    metrics.countRetry('market', '/v1/tokens');
    metrics.setCircuitState('market', 'open');
    metrics.redisErrors.inc({ kind: 'command' });

    const after = await exposition(gateway);
    for (const family of FAMILIES) {
      expect(after.families, family).toContain(family);
      expect(
        after.samples.some((sample) => sample.name.startsWith(family)),
        `${family} has samples`,
      ).toBe(true);
    }
    expect(sum(after, 'switchyard_upstream_circuit_state', { source: 'market' })).toBe(2);
    expect(after.families).toContain('process_cpu_user_seconds_total');
    expect(after.families).toContain('nodejs_eventloop_lag_seconds');
  });

  it('does not record probes or scrapes as requests', async () => {
    const before = await exposition(gateway);
    await fetch(`${gateway.origin}/healthz`);
    await fetch(`${gateway.origin}/readyz`);
    const after = await exposition(gateway);
    expect(sum(after, 'switchyard_request_duration_seconds_count')).toBe(
      sum(before, 'switchyard_request_duration_seconds_count'),
    );
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics on its own listener only, behind METRICS_TOKEN when set, and closes it on shutdown', async () => {
    const gateway = await startTestGateway({
      env: { NODE_ENV: 'production', METRICS_PORT: '0', METRICS_TOKEN: TOKEN },
    });
    let closed = false;
    try {
      const { metricsUrl } = gateway.running;
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(new URL(metricsUrl!).port).not.toBe(new URL(gateway.origin).port);
      await gateway.graphql(TOKEN_QUERY, undefined, {});

      const scraped = await fetch(metricsUrl!, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const parsed = parseExposition(await scraped.text());
      expect(sum(parsed, 'switchyard_request_duration_seconds_count', { operation: 'Token' })).toBe(1);

      expect((await fetch(metricsUrl!)).status).toBe(401);
      expect((await fetch(metricsUrl!, { method: 'POST' })).status).toBe(405);
      const other = new URL('/graphql', metricsUrl);
      expect((await fetch(other)).status).toBe(404);
      // The main port no longer serves it, with or without the token.
      const main = await fetch(`${gateway.origin}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(main.status).toBe(404);
      expect(await main.text()).not.toContain('switchyard_');

      await gateway.close();
      closed = true;
      await expect(fetch(metricsUrl!)).rejects.toThrow();
    } finally {
      if (!closed) await gateway.close();
    }
  });

  it('is open without METRICS_TOKEN, production included: the port is kept private by the operator', async () => {
    const gateway = await startTestGateway({ env: { NODE_ENV: 'production', METRICS_PORT: '0' } });
    try {
      const scraped = await fetch(gateway.running.metricsUrl!);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('switchyard_requests_in_flight');
      expect((await fetch(`${gateway.origin}/metrics`)).status).toBe(404);
    } finally {
      await gateway.close();
    }
  });
});

describe('/metrics outside production without a token', () => {
  it('stays open on the main port', async () => {
    const gateway = await startTestGateway();
    try {
      expect(gateway.running.metricsUrl).toBe(`${gateway.origin}/metrics`);
      const scraped = await fetch(`${gateway.origin}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('switchyard_requests_in_flight');
    } finally {
      await gateway.close();
    }
  });
});

describe('Redis errors', () => {
  it('are counted when Redis does not answer', async () => {
    const port = await closedPort();
    const gateway = await startTestGateway({
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, METRICS_TOKEN: TOKEN },
    });
    try {
      const scraped = await exposition(gateway);
      expect(sum(scraped, 'switchyard_redis_errors_total', { kind: 'connection' })).toBeGreaterThan(0);
    } finally {
      await gateway.close();
    }
  });
});

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
