import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMarketClient, type MarketClient } from '../../sources/market/client.js';
import {
  type MarketSandbox,
  PRICE_STREAM_ROUTE,
  startMarketSandbox,
} from '../../sources/market/sandbox/server.js';
import type { PriceTick } from '../../sources/market/types.js';
import { tokens, tokensById } from '../../sources/sandbox-kit/universe.js';
import { createHttpUpstream, type HttpUpstream } from '../../src/upstream/http.js';
import { noResilience } from '../../src/upstream/resilience.js';
import { eventData, eventually, openRaw, type RawStream } from './sse-reader.js';

const NOW = new Date('2026-11-29T20:00:00.000Z');

let sandbox: MarketSandbox;
let upstream: HttpUpstream;
let client: MarketClient;
const raws: RawStream[] = [];

const open = async (query: string) => {
  const raw = await openRaw(`${sandbox.target}/v1/stream/prices${query}`);
  raws.push(raw);
  return raw;
};
const admin = (route: string, body?: unknown) =>
  fetch(`${sandbox.adminUrl}${route}`, {
    method: 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const streams = () => sandbox.control.stats.streams;

beforeAll(async () => {
  sandbox = await startMarketSandbox({ now: () => NOW });
  upstream = createHttpUpstream({
    name: 'market',
    url: sandbox.target,
    timeoutMs: 500,
    resilience: noResilience,
  });
  client = createMarketClient(upstream);
});

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.close();
  await eventually(() => streams().open === 0);
  sandbox.control.reset();
});

afterAll(async () => {
  await upstream?.close();
  await sandbox?.close();
});

/** Collects `count` items of an async iterable, then leaves it (which closes the stream). */
async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  if (count === 0) return items;
  for await (const item of iterable) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

describe('market sandbox price stream', () => {
  it.each([
    ['no ids', '', 'ids must hold 1..100 token ids'],
    ['empty ids', '?ids=', 'ids must hold 1..100 token ids'],
    [
      '101 ids',
      `?ids=${tokens
        .slice(0, 101)
        .map((t) => t.id)
        .join(',')}`,
      'ids must hold 1..100 token ids',
    ],
    ['a malformed id', '?ids=bitcoin,Not_An_Id', 'malformed token id "Not_An_Id"'],
    ['an unknown id', '?ids=bitcoin,no-such-coin', 'unknown token id "no-such-coin"'],
  ])('refuses %s with a 400 naming the problem', async (_, query, message) => {
    const response = await fetch(`${sandbox.target}/v1/stream/prices${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'bad_request', message });
    expect(streams()).toEqual({ open: 0, opened: 0, byRoute: {} });
  });

  it('streams one price event per id per tick, walking from the REST price', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0 });
    const raw = await open('?ids=bitcoin,ethereum');
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('text/event-stream');
    expect(raw.headers.get('cache-control')).toBe('no-cache');
    await eventually(() => streams().open === 1);
    sandbox.setNextPrice('bitcoin', '67012.53');
    sandbox.control.tick();
    sandbox.control.tick();
    const text = await raw.until((t) => t.split('event: price').length - 1 === 4);
    expect(text.startsWith('event: price\nid: 1\ndata: {"tokenId":"bitcoin","usd":"67012.53",')).toBe(true);
    const ticks = eventData(text, 'price') as PriceTick[];
    expect(ticks.map((t) => t.tokenId)).toEqual(['bitcoin', 'ethereum', 'bitcoin', 'ethereum']);
    expect(text.match(/^id: \d+$/gm)).toEqual(['id: 1', 'id: 2', 'id: 3', 'id: 4']);
    expect(ticks[0]).toEqual({
      tokenId: 'bitcoin',
      usd: '67012.53',
      change24h: expect.any(Number),
      updatedAt: NOW.toISOString(),
    });
    const eth = Number(tokensById.get('ethereum')?.priceUsd);
    for (const tick of ticks) expect(tick.usd).toMatch(/^\d+(\.\d{1,8})?$/);
    // One step of the walk moves at most 0.2 %.
    expect(Math.abs(Number(ticks[1]?.usd) / eth - 1)).toBeLessThanOrEqual(0.0021);
    expect(Math.abs(Number(ticks[2]?.usd) / 67012.53 - 1)).toBeLessThanOrEqual(0.0021);
    // The REST routes keep answering the universe's data.
    const rest = (await (await fetch(`${sandbox.target}/v1/tokens/bitcoin`)).json()) as {
      price: { usd: string };
    };
    expect(rest.price.usd).toBe(tokensById.get('bitcoin')?.priceUsd);
  });

  it('sends the same price to every stream of a token, from one shared tick', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0 });
    const [a, b] = [await open('?ids=solana'), await open('?ids=solana,bitcoin')];
    await eventually(() => streams().open === 2);
    sandbox.control.tick();
    const [textA, textB] = await Promise.all([
      a!.until((t) => t.includes('solana')),
      b!.until((t) => t.includes('bitcoin')),
    ]);
    const solanaA = eventData(textA, 'price')[0];
    const solanaB = (eventData(textB, 'price') as PriceTick[]).find((t) => t.tokenId === 'solana');
    expect(solanaA).toEqual(solanaB);
  });

  it('writes heartbeat comments every heartbeatMs', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0, heartbeatMs: 30 });
    const raw = await open('?ids=bitcoin');
    const text = await raw.until((t) => t.split(': ping\n\n').length - 1 >= 3);
    expect(text).not.toContain('event: price');
  });

  it('ticks at ticksPerSecond, set in-process or over the admin route, and pauses at 0', async () => {
    expect((await admin('/faults', { ticksPerSecond: 1001 })).status).toBe(400);
    expect((await admin('/faults', { ticksPerSecond: 50 })).status).toBe(200);
    const raw = await open('?ids=bitcoin');
    await raw.until((t) => t.split('event: price').length - 1 >= 5, 2000);
    sandbox.control.setFaults({ ticksPerSecond: 0 });
    // Events written just before the pause may still be on the way.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const paused = raw.text().split('event: price').length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(raw.text().split('event: price').length).toBe(paused);
  });

  it('counts streams in stats, and requests in total and byRoute', async () => {
    const [a] = [await open('?ids=bitcoin'), await open('?ids=ethereum')];
    await eventually(() => streams().open === 2);
    expect(streams()).toEqual({ open: 2, opened: 2, byRoute: { [PRICE_STREAM_ROUTE]: 2 } });
    expect(sandbox.control.stats.byRoute[PRICE_STREAM_ROUTE]).toBe(2);
    a!.close();
    await eventually(() => streams().open === 1);
    const stats = (await (await fetch(`${sandbox.adminUrl}/stats`)).json()) as {
      stats: { streams: unknown };
    };
    expect(stats.stats.streams).toEqual({ open: 1, opened: 2, byRoute: { [PRICE_STREAM_ROUTE]: 1 } });
  });

  it('drops every open stream on streams/drop and accepts new ones at once', async () => {
    const [a, b] = [await open('?ids=bitcoin'), await open('?ids=ethereum')];
    await eventually(() => streams().open === 2);
    const response = await admin('/streams/drop');
    expect(await response.json()).toEqual({ dropped: 2 });
    expect(await a!.ended).toBe('error');
    expect(await b!.ended).toBe('error');
    await eventually(() => streams().open === 0);
    const c = await open('?ids=bitcoin');
    expect(c.status).toBe(200);
    await eventually(() => streams().open === 1);
    expect(streams().opened).toBe(3);
  });

  it('refuses new streams during an outage and drops the open ones when it starts', async () => {
    const before = await open('?ids=bitcoin');
    await eventually(() => streams().open === 1);
    sandbox.control.setFaults({ outage: 'error' });
    expect(await before.ended).toBe('error');
    const refused = await fetch(`${sandbox.target}/v1/stream/prices?ids=bitcoin`);
    expect(refused.status).toBe(503);
    sandbox.control.setFaults({ outage: 'reset' });
    await expect(fetch(`${sandbox.target}/v1/stream/prices?ids=bitcoin`)).rejects.toThrow();
    sandbox.control.setFaults({ outage: 'hang' });
    await expect(
      fetch(`${sandbox.target}/v1/stream/prices?ids=bitcoin`, { signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    expect(streams()).toMatchObject({ open: 0, opened: 1 });
  });
});

describe('market client streamPrices', () => {
  it('yields typed ticks and closes the upstream stream when the consumer leaves', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 200 });
    sandbox.setNextPrice('ethereum', '3000.5');
    const ticks = await take(client.streamPrices(['ethereum', 'bitcoin'], new AbortController().signal), 4);
    expect(ticks[0]).toEqual({
      tokenId: 'ethereum',
      usd: '3000.5',
      change24h: expect.any(Number),
      updatedAt: NOW.toISOString(),
    });
    expect(ticks.map((t) => t.tokenId)).toEqual(['ethereum', 'bitcoin', 'ethereum', 'bitcoin']);
    await eventually(() => streams().open === 0);
    expect(streams().opened).toBe(1);
  });

  it('closes the upstream stream when its signal aborts', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0 });
    const controller = new AbortController();
    const iteration = take(client.streamPrices(['bitcoin'], controller.signal), 1);
    await eventually(() => streams().open === 1);
    controller.abort();
    await expect(iteration).rejects.toMatchObject({ name: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE' });
    await eventually(() => streams().open === 0);
  });

  it('fails with UPSTREAM_TIMEOUT when nothing, not even a heartbeat, arrives within the idle limit', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0, heartbeatMs: 60_000 });
    const quiet = createHttpUpstream({ name: 'market', url: sandbox.target, streamIdleTimeoutMs: 150 });
    try {
      const started = Date.now();
      await expect(
        take(createMarketClient(quiet).streamPrices(['bitcoin'], new AbortController().signal), 1),
      ).rejects.toMatchObject({
        code: 'UPSTREAM_TIMEOUT',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      await eventually(() => streams().open === 0);
    } finally {
      await quiet.close();
    }
  });

  it('stays open past the idle limit while heartbeats arrive', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0, heartbeatMs: 30 });
    const lively = createHttpUpstream({ name: 'market', url: sandbox.target, streamIdleTimeoutMs: 300 });
    try {
      const iteration = take(
        createMarketClient(lively).streamPrices(['bitcoin'], new AbortController().signal),
        1,
      );
      await new Promise((resolve) => setTimeout(resolve, 700));
      sandbox.control.tick();
      await expect(iteration).resolves.toHaveLength(1);
    } finally {
      await lively.close();
    }
  });

  it('maps refusals: 400 to BAD_USER_INPUT, 503 and a non-stream answer to UPSTREAM_UNAVAILABLE', async () => {
    const signal = new AbortController().signal;
    await expect(take(client.streamPrices(['no-such-coin'], signal), 1)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      status: 400,
    });
    sandbox.control.setFaults({ outage: 'error' });
    await expect(take(client.streamPrices(['bitcoin'], signal), 1)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      status: 503,
    });
    sandbox.control.setFaults({ outage: 'garbage' });
    await expect(take(client.streamPrices(['bitcoin'], signal), 1)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      detail: expect.stringContaining('content type'),
    });
  });

  it('throws UPSTREAM_UNAVAILABLE when the upstream drops the stream', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0 });
    const iteration = take(client.streamPrices(['bitcoin'], new AbortController().signal), 1);
    await eventually(() => streams().open === 1);
    sandbox.control.dropStreams();
    await expect(iteration).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('never takes a connection of the unary pool', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0 });
    const narrow = createHttpUpstream({
      name: 'market',
      url: sandbox.target,
      connections: 1,
      resilience: noResilience,
    });
    const controller = new AbortController();
    try {
      const narrowClient = createMarketClient(narrow);
      const iterations = [0, 1, 2].map(() =>
        take(narrowClient.streamPrices(['bitcoin'], controller.signal), 1),
      );
      await eventually(() => streams().open === 3);
      await expect(narrowClient.getToken('bitcoin')).resolves.toMatchObject({ id: 'bitcoin' });
      controller.abort();
      await Promise.allSettled(iterations);
    } finally {
      await narrow.close();
    }
  });

  it('throws UPSTREAM_UNAVAILABLE for an event that breaks the contract, never yielding it', async () => {
    const bad = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: price\ndata: {"tokenId":"bitcoin","usd":67000}\n\n');
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    const broken = createHttpUpstream({
      name: 'market',
      url: `http://127.0.0.1:${(bad.address() as AddressInfo).port}`,
    });
    try {
      await expect(
        take(createMarketClient(broken).streamPrices(['bitcoin'], new AbortController().signal), 1),
      ).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
      });
    } finally {
      await broken.close();
      bad.closeAllConnections();
      await new Promise((resolve) => bad.close(resolve));
    }
  });

  it('ends the stream promptly when the sandbox closes', async () => {
    const own = await startMarketSandbox();
    const ownUpstream = createHttpUpstream({ name: 'market', url: own.target });
    try {
      own.control.setFaults({ ticksPerSecond: 0 });
      const iteration = take(
        createMarketClient(ownUpstream).streamPrices(['bitcoin'], new AbortController().signal),
        1,
      );
      await eventually(() => own.control.stats.streams.open === 1);
      const started = Date.now();
      await own.close();
      expect(Date.now() - started).toBeLessThan(500);
      await expect(iteration).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
      expect(own.control.stats.streams.open).toBe(0);
    } finally {
      await ownUpstream.close();
    }
  });
});
