/**
 * Live data end to end on one instance: GraphQL over SSE and over WebSocket against the real
 * sandboxes' streams — fan-out, validation, authorization, resume from a cursor, limits, revocation
 * and expiry, upstream blips, heartbeats, metrics and the access log, shutdown.
 */
import { Writable } from 'node:stream';
import { createClient } from 'graphql-ws';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestIdp } from '../helpers/idp.js';
import { parseExposition, sum } from '../helpers/metrics.js';
import { type SsePayload, subscribeSse } from '../helpers/subscriptions.js';

const PRICES =
  'subscription Prices($ids: [ID!]!) { priceUpdates(tokenIds: $ids) { tokenId usd change24h updatedAt } }';
const SIGNALS =
  'subscription Signals($ids: [ID!]!) { signalUpdates(tokenIds: $ids) { tokenId rating score updatedAt } }';
const ORDERS =
  'subscription Orders($account: ID!, $after: String) { orderUpdates(accountId: $account, after: $after) { cursor order { id status quantity clientOrderId } } }';
const PLACE = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';

const codeOf = (payload: SsePayload | null | undefined) => payload?.errors?.[0]?.extensions?.code;

/** The value of a root field in an answer or event; fails the test when it is missing. */
function dataOf<T>(payload: { data?: Record<string, unknown> | null } | null | undefined, field: string): T {
  const value = payload?.data?.[field];
  if (value === undefined || value === null) throw new Error(`no ${field} in ${JSON.stringify(payload)}`);
  return value as T;
}

function limitOrder(clientOrderId: string, account = 'acc-1') {
  return {
    input: {
      accountId: account,
      tokenId: 'bitcoin',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '1',
      limitPrice: '100',
      clientOrderId,
    },
  };
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('subscriptions on one instance', () => {
  let gateway: TestGateway;
  const logLines: string[] = [];
  const metrics = async () => parseExposition(await (await fetch(gateway.running.metricsUrl!)).text());

  beforeAll(async () => {
    gateway = await startTestGateway({
      env: { LOG_LEVEL: 'info' },
      logger: pino(
        { level: 'info' },
        new Writable({
          write(chunk, _encoding, done) {
            logLines.push(String(chunk));
            done();
          },
        }),
      ),
    });
    // Ticks on demand (control.tick()), not on a timer: assertions see exactly what was emitted.
    for (const sandbox of [gateway.sandboxes.market, gateway.sandboxes.signals])
      sandbox.control.setFaults({ ticksPerSecond: 0 });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('streams prices over SSE to an anonymous client, one event per token per tick', async () => {
    const sub = await subscribeSse(gateway.url, PRICES, { ids: ['bitcoin', 'ethereum'] });
    expect(sub.status).toBe(200);
    await waitFor(() => gateway.sandboxes.market.control.stats.streams.open >= 2);
    gateway.sandboxes.market.control.tick();
    const first = await sub.next();
    const second = await sub.next();
    const ids = [first, second].map((p) => dataOf<{ tokenId: string }>(p, 'priceUpdates').tokenId).sort();
    expect(ids).toEqual(['bitcoin', 'ethereum']);
    const update = dataOf<Record<string, unknown>>(first, 'priceUpdates');
    expect(update.usd).toMatch(/^\d+(\.\d+)?$/);
    expect(Date.parse(String(update.updatedAt))).not.toBeNaN();
    // Yoga's SSE heartbeat (comments) keeps idle proxies from cutting the stream.
    await waitFor(() => sub.heartbeats >= 2, 2000);
    sub.close();
    await waitFor(() => gateway.sandboxes.market.control.stats.streams.open === 0);
  });

  it('shares one upstream stream among 1,000 subscribers of a token (WebSocket) and closes it after the last', async () => {
    gateway.resetSandboxes();
    gateway.sandboxes.market.control.setFaults({ ticksPerSecond: 0 });
    const client = createClient({
      url: gateway.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: gateway.as('user-1'),
    });
    const before = await metrics();
    const reconnectsBefore = sum(before, 'switchyard_upstream_feed_reconnects_total', {
      hub: 'market.prices',
    });
    const activeBefore = sum(before, 'switchyard_subscriptions_active', {});
    const received: number[] = [];
    const unsubscribes: (() => void)[] = [];
    const subscribers = 1000;
    for (let i = 0; i < subscribers; i++) {
      received.push(0);
      unsubscribes.push(
        client.subscribe(
          { query: PRICES, variables: { ids: ['bitcoin'] } },
          { next: () => received[i]!++, error: () => {}, complete: () => {} },
        ),
      );
    }
    await waitFor(
      async () => sum(await metrics(), 'switchyard_subscriptions_active', {}) >= activeBefore + subscribers,
      30_000,
    );
    await waitFor(() => gateway.sandboxes.market.control.stats.streams.open === 1, 10_000);
    gateway.sandboxes.market.control.tick();
    await waitFor(() => received.every((n) => n >= 1), 20_000);
    // One upstream stream for all of them; a blip (a reconnect) replaces it, never adds one.
    expect(gateway.sandboxes.market.control.stats.streams.open).toBe(1);
    const after = await metrics();
    const reconnects =
      sum(after, 'switchyard_upstream_feed_reconnects_total', { hub: 'market.prices' }) - reconnectsBefore;
    expect(gateway.sandboxes.market.control.stats.streams.opened).toBe(1 + reconnects);
    expect(sum(after, 'switchyard_upstream_feeds', { hub: 'market.prices' })).toBe(1);
    for (const unsubscribe of unsubscribes) unsubscribe();
    await waitFor(() => gateway.sandboxes.market.control.stats.streams.open === 0, 15_000);
    expect(sum(await metrics(), 'switchyard_upstream_feeds', { hub: 'market.prices' })).toBe(0);
    await client.dispose();
  }, 90_000);

  it('refuses bad ids before any stream opens: too many, malformed, unknown', async () => {
    gateway.resetSandboxes();
    const tooMany = Array.from({ length: 101 }, (_, i) => `token-${i}`);
    for (const ids of [tooMany, [], ['Not A Slug'], ['no-such-token']]) {
      const sub = await subscribeSse(gateway.url, PRICES, { ids });
      const payload = sub.refusal ?? (await sub.next());
      expect(codeOf(payload)).toBe('BAD_USER_INPUT');
      sub.close();
    }
    expect(gateway.sandboxes.market.control.stats.streams.opened).toBe(0);
  });

  it('streams signals', async () => {
    const sub = await subscribeSse(gateway.url, SIGNALS, { ids: ['bitcoin'] });
    await waitFor(() => gateway.sandboxes.signals.control.stats.streams.open >= 1);
    gateway.sandboxes.signals.control.tick();
    const update = dataOf<Record<string, unknown>>(await sub.next(), 'signalUpdates');
    expect(update.tokenId).toBe('bitcoin');
    expect(['BULLISH', 'NEUTRAL', 'BEARISH']).toContain(update.rating);
    expect(update.score).toBeGreaterThanOrEqual(0);
    sub.close();
  });

  it('keeps subscribers through an upstream blip (the feed reconnects, no error reaches them)', async () => {
    const sub = await subscribeSse(gateway.url, PRICES, { ids: ['solana'] });
    await waitFor(() => gateway.sandboxes.market.control.stats.streams.open >= 1);
    const before = sum(await metrics(), 'switchyard_upstream_feed_reconnects_total', {
      hub: 'market.prices',
    });
    gateway.sandboxes.market.control.dropStreams();
    await waitFor(async () => {
      const reconnects = sum(await metrics(), 'switchyard_upstream_feed_reconnects_total', {
        hub: 'market.prices',
      });
      return reconnects > before && gateway.sandboxes.market.control.stats.streams.open >= 1;
    }, 5000);
    gateway.sandboxes.market.control.tick();
    const payload = await sub.next();
    expect(payload?.errors).toBeUndefined();
    expect(dataOf<{ tokenId: string }>(payload, 'priceUpdates').tokenId).toBe('solana');
    sub.close();
  });

  it('delivers order events of the caller own account, live and resumed from a cursor', async () => {
    const live = await subscribeSse(gateway.url, ORDERS, { account: 'acc-1' }, gateway.as('user-1'));
    expect(live.status).toBe(200);
    await waitFor(() => (gateway.trading.control.stats.streams.open ?? 0) >= 1);
    const placed: string[] = [];
    for (const id of ['sub-live-1', 'sub-live-2', 'sub-live-3']) {
      const reply = await gateway.signed(PLACE, limitOrder(id));
      placed.push(dataOf<{ id: string }>(reply.body, 'placeOrder').id);
    }
    const events = [await live.next(), await live.next(), await live.next()].map((p) =>
      dataOf<{ cursor: string; order: { id: string; clientOrderId: string } }>(p, 'orderUpdates'),
    );
    expect(events.map((e) => e.order.id)).toEqual(placed);
    const cursors = events.map((e) => BigInt(e.cursor));
    expect(cursors[0]! < cursors[1]! && cursors[1]! < cursors[2]!).toBe(true);

    // A client that saw only the first event resumes after it: the two it missed, then live ones.
    const resumed = await subscribeSse(
      gateway.url,
      ORDERS,
      { account: 'acc-1', after: events[0]!.cursor },
      gateway.as('user-1'),
    );
    const missed = [await resumed.next(), await resumed.next()].map(
      (p) => dataOf<{ order: { id: string } }>(p, 'orderUpdates').order.id,
    );
    expect(missed).toEqual(placed.slice(1));
    const fourth = await gateway.signed(PLACE, limitOrder('sub-live-4'));
    const next = dataOf<{ order: { id: string } }>(await resumed.next(), 'orderUpdates');
    expect(next.order.id).toBe(dataOf<{ id: string }>(fourth.body, 'placeOrder').id);
    // Resuming from the beginning replays through the upstream (older than this instance's ring).
    const replay = await subscribeSse(
      gateway.url,
      ORDERS,
      { account: 'acc-1', after: '0' },
      gateway.as('user-1'),
    );
    const firstReplayed = dataOf<{ cursor: string }>(await replay.next(), 'orderUpdates');
    expect(BigInt(firstReplayed.cursor)).toBeLessThanOrEqual(cursors[0]!);
    for (const sub of [live, resumed, replay]) sub.close();
  });

  it('reads fresh data for every event: the loaders of a long-lived subscription do not cache across events', async () => {
    const query =
      'subscription($account: ID!) { orderUpdates(accountId: $account) { cursor order { id token { symbol } } } }';
    const sub = await subscribeSse(gateway.url, query, { account: 'acc-1' }, gateway.as('user-1'));
    await waitFor(() => (gateway.trading.control.stats.streams.open ?? 0) >= 1);
    const marketCalls = () => gateway.sandboxes.market.control.stats.byRoute['GET /v1/tokens'] ?? 0;
    const before = marketCalls();
    await gateway.signed(PLACE, limitOrder('fresh-1'));
    await sub.next();
    await gateway.signed(PLACE, limitOrder('fresh-2'));
    const second = dataOf<{ order: { token: { symbol: string } } }>(await sub.next(), 'orderUpdates');
    expect(second.order.token.symbol).toBe('BTC');
    // The same token twice: one market call per event, not one for the subscription's life.
    expect(marketCalls() - before).toBe(2);
    sub.close();
  });

  it('answers foreign and unknown accounts alike, and needs portfolio:read and a principal', async () => {
    const foreign = await subscribeSse(gateway.url, ORDERS, { account: 'acc-4' }, gateway.as('user-1'));
    const unknown = await subscribeSse(gateway.url, ORDERS, { account: 'acc-999' }, gateway.as('user-1'));
    const [a, b] = [foreign.refusal ?? (await foreign.next()), unknown.refusal ?? (await unknown.next())];
    expect(codeOf(a)).toBe('FORBIDDEN');
    expect(a?.errors?.[0]?.message).toBe(b?.errors?.[0]?.message);
    const anonymous = await subscribeSse(gateway.url, ORDERS, { account: 'acc-1' });
    expect(codeOf(anonymous.refusal ?? (await anonymous.next()))).toBe('UNAUTHENTICATED');
    const { key } = await gateway.running.keys.create(
      { clientId: 'user-1', name: 'market only', scopes: ['market:read'] },
      'test',
    );
    const narrow = await subscribeSse(gateway.url, ORDERS, { account: 'acc-1' }, { 'x-api-key': key });
    expect(codeOf(narrow.refusal ?? (await narrow.next()))).toBe('FORBIDDEN');
    const badCursor = await subscribeSse(
      gateway.url,
      ORDERS,
      { account: 'acc-1', after: 'abc' },
      gateway.as('user-1'),
    );
    expect(codeOf(badCursor.refusal ?? (await badCursor.next()))).toBe('BAD_USER_INPUT');
  });

  it('refuses orderUpdates without portfolio:read in every document shape', async () => {
    const { key } = await gateway.running.keys.create(
      { clientId: 'user-1', name: 'shapes', scopes: ['market:read'] },
      'test',
    );
    const shapes = [
      'subscription { orderUpdates(accountId: "acc-1") { cursor } }',
      'subscription { o: orderUpdates(accountId: "acc-1") { cursor } }',
      'subscription { ...F } fragment F on Subscription { orderUpdates(accountId: "acc-1") { cursor } }',
      'subscription { ... on Subscription { orderUpdates(accountId: "acc-1") { cursor } } }',
      'subscription { orderUpdates(accountId: "acc-1") @include(if: true) @skip(if: false) { cursor } }',
      'query Q { __typename } subscription S { orderUpdates(accountId: "acc-1") { cursor } }',
    ];
    for (const query of shapes) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': key },
        body: JSON.stringify({ query, operationName: query.startsWith('query Q') ? 'S' : undefined }),
      });
      const text = await response.text();
      expect(text, query).toContain('"code":"FORBIDDEN"');
      expect(text, query).not.toContain('"cursor"');
    }
    expect(gateway.trading.control.stats.streams.open).toBe(0);
  });

  it('ends a revoked key subscriptions at once with KEY_REVOKED, over SSE and WebSocket', async () => {
    const { key, record } = await gateway.running.keys.create(
      { clientId: 'user-1', name: 'to revoke', scopes: ['market:read', 'portfolio:read'] },
      'test',
    );
    const activeBefore = sum(await metrics(), 'switchyard_subscriptions_active', {});
    const sse = await subscribeSse(gateway.url, ORDERS, { account: 'acc-1' }, { 'x-api-key': key });
    const client = createClient({
      url: gateway.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { 'X-API-Key': key },
      retryAttempts: 0,
    });
    const wsPayloads: SsePayload[] = [];
    let wsCompleted = false;
    client.subscribe(
      { query: PRICES, variables: { ids: ['bitcoin'] } },
      {
        next: (payload) => wsPayloads.push(payload as SsePayload),
        error: () => {},
        complete: () => {
          wsCompleted = true;
        },
      },
    );
    await waitFor(
      async () => sum(await metrics(), 'switchyard_subscriptions_active', {}) >= activeBefore + 2,
      15_000,
    );
    await gateway.running.keys.revoke(record.keyId, 'test', 'test');
    const revokedAt = Date.now();
    expect(codeOf(await sse.next(2000))).toBe('KEY_REVOKED');
    await waitFor(() => wsCompleted, 2000);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    expect(codeOf(wsPayloads.at(-1))).toBe('KEY_REVOKED');
    expect(await sse.next()).toBeNull();
    expect(sse.completed).toBe(true);
    const ended = await metrics();
    expect(sum(ended, 'switchyard_subscriptions_ended_total', { reason: 'revoked' })).toBeGreaterThanOrEqual(
      2,
    );
    await client.dispose();
  });

  it('ends a rotated key subscriptions at its Sunset with KEY_EXPIRED', async () => {
    const { key, record } = await gateway.running.keys.create(
      { clientId: 'user-2', name: 'rotating', scopes: ['market:read'] },
      'test',
    );
    const sub = await subscribeSse(gateway.url, PRICES, { ids: ['bitcoin'] }, { 'x-api-key': key });
    expect(sub.status).toBe(200);
    await gateway.running.keys.rotate(record.keyId, 1, 'test');
    const rotatedAt = Date.now();
    const last = await sub.until((p) => p.errors !== undefined, 4000);
    expect(codeOf(last)).toBe('KEY_EXPIRED');
    expect(Date.now() - rotatedAt).toBeGreaterThanOrEqual(800);
  });

  it('logs one line per ended subscription, with its length and message count', async () => {
    const sub = await subscribeSse(gateway.url, PRICES, { ids: ['cardano'] });
    await waitFor(() => gateway.sandboxes.market.control.stats.streams.open >= 1);
    gateway.sandboxes.market.control.tick();
    await sub.next();
    sub.close();
    await waitFor(() => logLines.some((l) => l.includes('"subscription ended"') && l.includes('"client"')));
    const line = JSON.parse(
      logLines.find((l) => l.includes('"subscription ended"') && l.includes('"reason":"client"'))!,
    );
    expect(line).toMatchObject({ subscription: 'Subscription.priceUpdates', reason: 'client' });
    expect(line.messages).toBeGreaterThanOrEqual(1);
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe('subscription limits', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({
      // free plan (x0.05): 2 concurrent subscriptions, and the subscribe rate of 60/min is 3 per minute.
      env: { MAX_SUBSCRIPTIONS_PER_CLIENT: '40', RATE_LIMIT_PLANS: 'free=0.05,pro=1,enterprise=1' },
    });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('refuses a third concurrent subscription of a client, and admits one again after another ends', async () => {
    const { key } = await gateway.running.keys.create(
      { clientId: 'user-2', name: 'limits', scopes: ['market:read'] },
      'test',
    );
    const headers = { 'x-api-key': key };
    const a = await subscribeSse(gateway.url, PRICES, { ids: ['bitcoin'] }, headers);
    const b = await subscribeSse(gateway.url, SIGNALS, { ids: ['bitcoin'] }, headers);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await subscribeSse(gateway.url, PRICES, { ids: ['ethereum'] }, headers);
    expect(c.status).toBe(429);
    expect((c.refusal ?? (await c.next()))?.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'subscriptions',
    });
    a.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const d = await subscribeSse(gateway.url, PRICES, { ids: ['ethereum'] }, headers);
    expect(d.status).toBe(200);
    d.close();
    // The subscribe rate of priceUpdates (3 per minute on this plan) is spent now: a, c and d.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const e = await subscribeSse(gateway.url, PRICES, { ids: ['ethereum'] }, headers);
    expect(e.status).toBe(429);
    expect((e.refusal ?? (await e.next()))?.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      field: 'Subscription.priceUpdates',
    });
    b.close();
  });
});

describe('subscriptions at shutdown', () => {
  it('ends open streams with RECONNECT and closes sockets with 1012 (service restart)', async () => {
    const gateway = await startTestGateway();
    const sse = await subscribeSse(gateway.url, PRICES, { ids: ['bitcoin'] });
    const client = createClient({
      url: gateway.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      // Kept open when its subscriptions complete: the server, not the client, closes it.
      lazy: false,
      onNonLazyError: () => {},
    });
    const ws: SsePayload[] = [];
    let closeCode = 0;
    client.on('closed', (event) => {
      closeCode = (event as { code: number }).code;
    });
    client.subscribe(
      { query: PRICES, variables: { ids: ['bitcoin'] } },
      { next: (p) => ws.push(p as SsePayload), error: () => {}, complete: () => {} },
    );
    await waitFor(() => gateway.sandboxes.market.control.stats.streams.open >= 1);
    await waitFor(async () => {
      const text = await (await fetch(gateway.running.metricsUrl!)).text();
      return sum(parseExposition(text), 'switchyard_subscriptions_active', {}) >= 2;
    });
    await gateway.close();
    expect(codeOf(await sse.until((p) => p.errors !== undefined))).toBe('RECONNECT');
    await waitFor(() => closeCode !== 0);
    expect(closeCode).toBe(1012);
    expect(codeOf(ws.at(-1))).toBe('RECONNECT');
    await client.dispose();
  });
});

describe('subscriptions under persisted-operation rules', () => {
  it('refuses an ad hoc subscription when only the allowlisted operations may run, over SSE and WebSocket', async () => {
    const gateway = await startTestGateway({ env: { PERSISTED_OPERATIONS: 'required' } });
    try {
      const sse = await subscribeSse(gateway.url, PRICES, { ids: ['bitcoin'] });
      expect(codeOf(sse.refusal ?? (await sse.next()))).toBe('PERSISTED_QUERY_NOT_FOUND');
      const client = createClient({ url: gateway.url.replace('http', 'ws'), webSocketImpl: WebSocket });
      const first = await client.iterate({ query: PRICES, variables: { ids: ['bitcoin'] } }).next();
      expect(codeOf(first.value as SsePayload)).toBe('PERSISTED_QUERY_NOT_FOUND');
      await client.dispose();
    } finally {
      await gateway.close();
    }
  });
});

describe('subscriptions of a JWT', () => {
  it('end at the token exp with UNAUTHENTICATED', async () => {
    const idp = await startTestIdp();
    const gateway = await startTestGateway({
      env: { JWT_JWKS_URL: idp.jwksUrl, JWT_ISSUER: idp.issuer, JWT_AUDIENCE: idp.audience },
    });
    try {
      const exp = Math.floor(Date.now() / 1000) + 2;
      const token = await idp.token({ sub: 'user-1', scope: 'market:read portfolio:read', exp });
      const sub = await subscribeSse(
        gateway.url,
        ORDERS,
        { account: 'acc-1' },
        { authorization: `Bearer ${token}` },
      );
      expect(sub.status).toBe(200);
      const last = await sub.until((p) => p.errors !== undefined, 5000);
      expect(codeOf(last)).toBe('UNAUTHENTICATED');
      expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    } finally {
      await gateway.close();
      await idp.close();
    }
  });
});

describe('WebSockets behind a trusted proxy', () => {
  it('verifies connection_init for the forwarded client address, as every operation after it', async () => {
    const gateway = await startTestGateway({ env: { TRUST_PROXY: '1' } });
    try {
      const { key } = await gateway.running.keys.create(
        {
          clientId: 'user-2',
          name: 'allowlisted',
          scopes: ['market:read'],
          allowedCidrs: ['203.0.113.0/24'],
        },
        'test',
      );
      /** A socket whose upgrade request carries the proxy's X-Forwarded-For. */
      const through = (forwardedFor: string) =>
        class extends WebSocket {
          constructor(url: string, protocols?: string | string[]) {
            super(url, protocols, { headers: { 'x-forwarded-for': forwardedFor } });
          }
        };
      const connect = (forwardedFor: string) =>
        createClient({
          url: gateway.url.replace('http', 'ws'),
          webSocketImpl: through(forwardedFor),
          connectionParams: { 'x-api-key': key },
          retryAttempts: 0,
        });
      const allowed = connect('203.0.113.9');
      const first = await allowed.iterate({ query: '{ token(id: "bitcoin") { symbol } }' }).next();
      expect(first.value).toEqual({ data: { token: { symbol: 'BTC' } } });
      await allowed.dispose();

      const refused = connect('198.51.100.7');
      const closed = await refused
        .iterate({ query: '{ token(id: "bitcoin") { symbol } }' })
        .next()
        .then(
          () => 0,
          (event: { code?: number }) => event.code ?? -1,
        );
      expect(closed).toBe(4403);
      await refused.dispose();
    } finally {
      await gateway.close();
    }
  });
});
