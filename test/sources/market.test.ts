import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ExecutionResult, GraphQLError, type GraphQLSchema, graphql } from 'graphql';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMarketClient, type MarketClient } from '../../sources/market/client.js';
import { createMarketSource, type MarketLoaders } from '../../sources/market/index.js';
import { startMarketSandbox } from '../../sources/market/sandbox/server.js';
import type { RunningSandbox } from '../../sources/sandbox-kit/types.js';
import {
  tokens,
  tokensById,
  UNIVERSE_EPOCH,
  type UniverseToken,
} from '../../sources/sandbox-kit/universe.js';
import type { RequestScope } from '../../src/gateway/source.js';
import { createHttpUpstream, type HttpUpstream } from '../../src/upstream/http.js';
import { noResilience } from '../../src/upstream/resilience.js';
import { buildExecutableSchema } from './executable-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TIMEOUT_MS = 300;

/** The contract's TokenMarket, written from the universe independently of the sandbox code. */
function expectedToken(token: UniverseToken) {
  return {
    id: token.id,
    symbol: token.symbol,
    name: token.name,
    chain: token.chain,
    circulatingSupply: token.circulatingSupply,
    price: {
      usd: token.priceUsd,
      change24h: token.change24h,
      volume24h: token.volume24hUsd,
      marketCap: token.marketCapUsd,
      updatedAt: UNIVERSE_EPOCH,
    },
  };
}

const universe = (id: string): UniverseToken => {
  const token = tokensById.get(id);
  if (!token) throw new Error(`${id} is not in the universe`);
  return token;
};

function testScope(requestId = 'req-test'): RequestScope {
  return { requestId, signal: new AbortController().signal, log: pino({ level: 'silent' }) };
}

let sandbox: RunningSandbox;
let upstream: HttpUpstream;
let client: MarketClient;
let port: string;

beforeAll(async () => {
  sandbox = await startMarketSandbox();
  // The source's own mapping is tested here, one call per request: resilience has its own tests.
  upstream = createHttpUpstream({
    name: 'market',
    url: sandbox.target,
    timeoutMs: TIMEOUT_MS,
    resilience: noResilience,
  });
  client = createMarketClient(upstream);
  port = new URL(sandbox.target).port;
});

afterEach(() => sandbox.control.reset());

afterAll(async () => {
  await upstream?.close();
  await sandbox?.close();
});

const batchRequests = () => sandbox.control.stats.byRoute['GET /v1/tokens'] ?? 0;

/** Asserts the client error of the catalogue, and that nothing internal leaked into it. */
function expectClientError(err: unknown, code: string): void {
  expect(err).toBeInstanceOf(GraphQLError);
  const { message, extensions } = err as GraphQLError;
  expect(extensions).toMatchObject({ code, source: 'market' });
  expect(Object.keys(extensions).sort()).toEqual(['code', 'source']);
  for (const internal of ['127.0.0.1', port, 'exploded', '{', '<', 'HTTP', 'UND_ERR', '/v1/']) {
    expect(message).not.toContain(internal);
  }
}

describe('market sandbox', () => {
  it('answers the batch endpoint with universe data, known ids only', async () => {
    const response = await fetch(`${sandbox.target}/v1/tokens?ids=bitcoin,no-such-token,ethereum`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: unknown[] };
    expect(body.data).toEqual([expectedToken(universe('bitcoin')), expectedToken(universe('ethereum'))]);
  });

  it('refuses malformed ids and more than 500 ids with 400', async () => {
    const tooMany = tokens.slice(0, 501).map((token) => token.id);
    for (const query of [
      'ids=Bitcoin',
      'ids=',
      'ids=a,,b',
      `ids=${tooMany.join(',')}`,
      'limit=0',
      'limit=101',
    ]) {
      const response = await fetch(`${sandbox.target}/v1/tokens?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad_request' });
    }
  });

  it('lists tokens by market cap, largest first, with the total', async () => {
    const byCap = [...tokens].sort((a, b) => Number(b.marketCapUsd) - Number(a.marketCapUsd));
    const response = await fetch(`${sandbox.target}/v1/tokens?limit=5&offset=2`);
    const body = (await response.json()) as { data: { id: string }[]; total: number };
    expect(body.total).toBe(tokens.length);
    expect(body.data.map((token) => token.id)).toEqual(byCap.slice(2, 7).map((token) => token.id));
  });

  it('answers 404 not_found for an unknown token', async () => {
    const response = await fetch(`${sandbox.target}/v1/tokens/no-such-token`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found' });
  });

  it('serves the admin routes over HTTP: faults, stats and reset', async () => {
    const set = await fetch(`${sandbox.adminUrl}/faults`, {
      method: 'POST',
      body: JSON.stringify({ outage: 'error' }),
    });
    expect(set.status).toBe(200);
    const refused = await fetch(`${sandbox.target}/v1/tokens/bitcoin`, {
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ error: 'unavailable' });

    const stats = (await (await fetch(`${sandbox.adminUrl}/stats`)).json()) as {
      stats: { total: number; byRoute: Record<string, number>; lastTraceparent: string };
      faults: { outage: string };
    };
    expect(stats.faults.outage).toBe('error');
    expect(stats.stats.byRoute).toEqual({ 'GET /v1/tokens/{id}': 1 });
    expect(stats.stats.lastTraceparent).toMatch(/^00-0af7/);

    const bad = await fetch(`${sandbox.adminUrl}/faults`, { method: 'POST', body: '{"outage":"melt"}' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${sandbox.adminUrl}/reset`, { method: 'POST' })).status).toBe(200);
    expect(sandbox.control.faults.outage).toBe('off');
    expect(sandbox.control.stats.total).toBe(0);
  });

  it('prints its ready line from main.ts and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'sources/market/sandbox/main.ts', '--port', '0'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const ready = JSON.parse(line) as { sandbox: string; target: string; adminUrl: string };
      expect(ready.sandbox).toBe('market');
      expect(ready.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.adminUrl).toBe(`${ready.target}/__sandbox`);
      expect(await (await fetch(`${ready.target}/healthz`)).json()).toEqual({ ok: true });
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('closes promptly while a request hangs on a keep-alive socket', async () => {
    const other = await startMarketSandbox();
    other.control.setFaults({ outage: 'hang' });
    const hanging = fetch(`${other.target}/v1/tokens/bitcoin`).catch((err: unknown) => err);
    await expect.poll(() => other.control.stats.total).toBe(1);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hanging).toBeInstanceOf(Error);
  });
});

describe('market client and loaders', () => {
  it('batches one loader tick of 50 loads into exactly one upstream request', async () => {
    const loaders = createMarketSource(upstream).createLoaders(testScope());
    const ids = tokens.slice(0, 50).map((token) => token.id);
    const loaded = await Promise.all(ids.map((id) => loaders.tokens.load(id)));
    expect(batchRequests()).toBe(1);
    expect(sandbox.control.stats.total).toBe(1);
    expect(loaded).toEqual(ids.map((id) => expectedToken(universe(id))));
  });

  it('splits 600 ids into two upstream requests', async () => {
    const ids = tokens.slice(0, 600).map((token) => token.id);
    const loaders = createMarketSource(upstream).createLoaders(testScope());
    const loaded = await loaders.tokens.loadMany(ids);
    expect(batchRequests()).toBe(2);
    expect(loaded.map((token) => (token as { id: string }).id)).toEqual(ids);

    sandbox.control.reset();
    const direct = await client.getTokens(ids);
    expect(batchRequests()).toBe(2);
    expect(direct).toHaveLength(600);
  });

  it('resolves unknown ids to null, in key order', async () => {
    const loaders = createMarketSource(upstream).createLoaders(testScope());
    const loaded = await Promise.all(
      ['ethereum', 'no-such-token', 'bitcoin'].map((id) => loaders.tokens.load(id)),
    );
    expect(loaded).toEqual([expectedToken(universe('ethereum')), null, expectedToken(universe('bitcoin'))]);
  });

  it('answers null for a token the upstream 404s', async () => {
    expect(await client.getToken('no-such-token')).toBeNull();
    expect(await client.getToken('solana')).toEqual(expectedToken(universe('solana')));
    expect(await client.getCandles('no-such-token', '1h', 3)).toBeNull();
  });

  it('forwards the request id upstream as x-request-id', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const echo = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const echoUpstream = createHttpUpstream({
      name: 'market',
      url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}`,
    });
    try {
      await createMarketClient(echoUpstream).getTokens(['bitcoin'], { requestId: 'req-42' });
      expect(seen[0]?.['x-request-id']).toBe('req-42');
    } finally {
      await echoUpstream.close();
      echo.closeAllConnections();
      echo.close();
    }
  });

  it('serves deterministic candles, oldest first, ending at the current price', async () => {
    const day = await client.getCandles('bitcoin', '1h', 24);
    const twoDays = await client.getCandles('bitcoin', '1h', 48);
    expect(day).toHaveLength(24);
    expect(twoDays?.slice(24)).toEqual(day);
    const last = day?.at(-1);
    expect(last?.openTime).toBe(new Date(Date.parse(UNIVERSE_EPOCH) - 3_600_000).toISOString());
    expect(last?.close).toBe(universe('bitcoin').priceUsd);
    const times = (day ?? []).map((candle) => Date.parse(candle.openTime));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const candle of day ?? []) {
      expect(Number(candle.high)).toBeGreaterThanOrEqual(Math.max(Number(candle.open), Number(candle.close)));
      expect(Number(candle.low)).toBeLessThanOrEqual(Math.min(Number(candle.open), Number(candle.close)));
    }
  });

  it('pings the upstream health route', async () => {
    await expect(client.ping(AbortSignal.timeout(1000))).resolves.toBeUndefined();
    sandbox.control.setFaults({ outage: 'error' });
    await expect(client.ping(AbortSignal.timeout(1000))).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
  });

  const faults = [
    ['error', { outage: 'error' }, 'UPSTREAM_UNAVAILABLE'],
    ['reset', { outage: 'reset' }, 'UPSTREAM_UNAVAILABLE'],
    ['garbage', { outage: 'garbage' }, 'UPSTREAM_UNAVAILABLE'],
    ['hang', { outage: 'hang' }, 'UPSTREAM_TIMEOUT'],
    // undici arms headersTimeout on its ~500 ms "fast timer" tick, so the latency must clear the
    // timeout by more than a second to lose the race every time.
    ['latency above the timeout', { latencyMs: TIMEOUT_MS + 1700 }, 'UPSTREAM_TIMEOUT'],
  ] as const;

  for (const [mode, settings, code] of faults) {
    it(`rejects every key with ${code} on ${mode}, leaking nothing internal`, async () => {
      sandbox.control.setFaults(settings);
      const loaders: MarketLoaders = createMarketSource(upstream).createLoaders(testScope());
      const settled = await Promise.allSettled(
        ['bitcoin', 'ethereum', 'no-such-token'].map((id) => loaders.tokens.load(id)),
      );
      expect(batchRequests()).toBe(1);
      for (const result of settled) {
        expect(result.status).toBe('rejected');
        expectClientError((result as PromiseRejectedResult).reason, code);
      }
    });
  }
});

describe('market resolvers', () => {
  const testTypeDefs = /* GraphQL */ `
    extend type Query {
      "A Token stub as another source returns it (Position.token)."
      stubToken(id: ID!): Token
      alive: Boolean
    }
  `;
  let schema: GraphQLSchema;

  beforeAll(() => {
    const source = createMarketSource(upstream);
    schema = buildExecutableSchema(
      [source.typeDefs, testTypeDefs],
      [
        source.resolvers,
        { Query: { stubToken: (_: unknown, { id }: { id: string }) => ({ id }), alive: () => true } },
      ],
    );
  });

  async function run(query: string): Promise<ExecutionResult> {
    const contextValue = { market: createMarketSource(upstream).createLoaders(testScope()) };
    return graphql({ schema, source: query, contextValue });
  }

  const codes = (result: ExecutionResult) => result.errors?.map((error) => error.extensions.code);

  it('answers token(id) with the full record, and null for an unknown id', async () => {
    const result = await run(`{
      bitcoin: token(id: "bitcoin") { id symbol name chain circulatingSupply
        price { usd change24h volume24h marketCap updatedAt } }
      unknown: token(id: "no-such-token") { id }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ bitcoin: expectedToken(universe('bitcoin')), unknown: null });
    expect(sandbox.control.stats.total).toBe(1);
  });

  it('answers tokens(ids) in the order asked with null for unknown ids, in one request', async () => {
    const result = await run(
      `{ tokens(ids: ["solana", "no-such-token", "bitcoin", "solana"]) { id symbol } }`,
    );
    expect(result.data).toEqual({
      tokens: [
        { id: 'solana', symbol: 'SOL' },
        null,
        { id: 'bitcoin', symbol: 'BTC' },
        { id: 'solana', symbol: 'SOL' },
      ],
    });
    expect(batchRequests()).toBe(1);
  });

  it('refuses more than 500 ids and malformed ids with BAD_USER_INPUT before any upstream call', async () => {
    const ids = JSON.stringify(tokens.slice(0, 501).map((token) => token.id));
    expect(codes(await run(`{ tokens(ids: ${ids}) { id } }`))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run(`{ tokens(ids: ["bitcoin", "Not A Slug"]) { id } }`))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run(`{ token(id: "../etc") { id } }`))).toEqual(['BAD_USER_INPUT']);
    expect(sandbox.control.stats.total).toBe(0);
  });

  it('ranks topTokens by market cap and resolves their fields without further requests', async () => {
    const byCap = [...tokens].sort((a, b) => Number(b.marketCapUsd) - Number(a.marketCapUsd));
    const result = await run(`{ topTokens(first: 3, offset: 1) { id symbol price { marketCap } } }`);
    expect(result.data).toEqual({
      topTokens: byCap.slice(1, 4).map((token) => ({
        id: token.id,
        symbol: token.symbol,
        price: { marketCap: token.marketCapUsd },
      })),
    });
    expect(sandbox.control.stats.total).toBe(1);
  });

  it('refuses topTokens outside first 1..100 and offset >= 0', async () => {
    for (const args of ['first: 0', 'first: 101', 'offset: -1', 'first: null']) {
      expect(codes(await run(`{ topTokens(${args}) { id } }`)), args).toEqual(['BAD_USER_INPUT']);
    }
    expect(sandbox.control.stats.total).toBe(0);
  });

  it('resolves stub tokens from another source in one batched request', async () => {
    const result = await run(`{
      a: stubToken(id: "bitcoin") { symbol price { usd } }
      b: stubToken(id: "ethereum") { name chain }
    }`);
    expect(result.data).toEqual({
      a: { symbol: 'BTC', price: { usd: universe('bitcoin').priceUsd } },
      b: { name: 'Ethereum', chain: 'ethereum' },
    });
    expect(batchRequests()).toBe(1);
  });

  it('gives NOT_FOUND for the fields of a stub the market does not know', async () => {
    const result = await run(`{ stubToken(id: "no-such-token") { id symbol } }`);
    // symbol is nullable (failure isolation): the stub keeps its id, the field carries the error.
    expect(result.data).toEqual({ stubToken: { id: 'no-such-token', symbol: null } });
    expect(codes(result)).toEqual(['NOT_FOUND']);
    expect(result.errors?.[0]?.path).toEqual(['stubToken', 'symbol']);
  });

  it('maps the CandleInterval enum to the upstream interval', async () => {
    const result = await run(
      `{ token(id: "ethereum") { candles(interval: D1, limit: 3) { openTime close } } }`,
    );
    const { token } = result.data as { token: { candles: { openTime: string; close: string }[] } };
    const { candles } = token;
    expect(candles).toHaveLength(3);
    expect(candles.at(-1)).toEqual({
      openTime: new Date(Date.parse(UNIVERSE_EPOCH) - 86_400_000).toISOString(),
      close: universe('ethereum').priceUsd,
    });
    expect(sandbox.control.stats.byRoute['GET /v1/tokens/{id}/candles']).toBe(1);
    expect(codes(await run(`{ token(id: "ethereum") { candles(limit: 501) { close } } }`))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const unknown = await run(`{ stubToken(id: "no-such-token") { candles { close } } }`);
    expect(codes(unknown)).toEqual(['NOT_FOUND']);
  });

  it('fails only the market fields when the upstream is down', async () => {
    sandbox.control.setFaults({ outage: 'error' });
    const result = await run(
      `{ alive token(id: "bitcoin") { symbol } tokens(ids: ["bitcoin", "ethereum"]) { id } }`,
    );
    expect(result.data).toEqual({ alive: true, token: null, tokens: [null, null] });
    expect(codes(result)).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
    for (const error of result.errors ?? []) expectClientError(error, 'UPSTREAM_UNAVAILABLE');
  });
});
