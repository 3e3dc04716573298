import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ExecutionResult, GraphQLError, type GraphQLSchema, graphql } from 'graphql';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../sources/sandbox-kit/types.js';
import { tokens, UNIVERSE_EPOCH } from '../../sources/sandbox-kit/universe.js';
import { createSignalsClient, type SignalsClient } from '../../sources/signals/client.js';
import { createSignalsSource } from '../../sources/signals/index.js';
import { signalFor } from '../../sources/signals/sandbox/data.js';
import { startSignalsSandbox } from '../../sources/signals/sandbox/server.js';
import type { RequestScope } from '../../src/gateway/source.js';
import { createHttpUpstream, type HttpUpstream } from '../../src/upstream/http.js';
import { noResilience } from '../../src/upstream/resilience.js';
import { buildExecutableSchema } from './executable-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TIMEOUT_MS = 300;
/** A universe token whose hash gives it no signal (part of the deterministic contract). */
const WITHOUT_SIGNAL = 'chainlink';

function testScope(): RequestScope {
  return { requestId: 'req-test', signal: new AbortController().signal, log: pino({ level: 'silent' }) };
}

let sandbox: RunningSandbox;
let upstream: HttpUpstream;
let client: SignalsClient;
let port: string;

beforeAll(async () => {
  sandbox = await startSignalsSandbox();
  // The source's own mapping is tested here, one call per request: resilience has its own tests.
  upstream = createHttpUpstream({
    name: 'signals',
    url: sandbox.target,
    timeoutMs: TIMEOUT_MS,
    resilience: noResilience,
  });
  client = createSignalsClient(upstream);
  port = new URL(sandbox.target).port;
});

afterEach(() => sandbox.control.reset());

afterAll(async () => {
  await upstream?.close();
  await sandbox?.close();
});

const batchRequests = () => sandbox.control.stats.byRoute['GET /v1/signals'] ?? 0;
const loadersOf = () => createSignalsSource(upstream).createLoaders(testScope());

/** Asserts the client error of the catalogue, and that nothing internal leaked into it. */
function expectClientError(err: unknown, code: string): void {
  expect(err).toBeInstanceOf(GraphQLError);
  const { message, extensions } = err as GraphQLError;
  expect(extensions).toMatchObject({ code, source: 'signals' });
  expect(Object.keys(extensions).sort()).toEqual(['code', 'source']);
  for (const internal of ['127.0.0.1', port, 'exploded', '{', '<', 'HTTP', 'UND_ERR', '/v1/']) {
    expect(message).not.toContain(internal);
  }
}

describe('signals data', () => {
  it('derives stable signals from the token id', () => {
    expect(signalFor('bitcoin')).toEqual({
      tokenId: 'bitcoin',
      rating: 'NEUTRAL',
      score: 41,
      modelGrade: 'A',
      updatedAt: UNIVERSE_EPOCH,
    });
    expect(signalFor(WITHOUT_SIGNAL)).toBeNull();
    expect(signalFor('not-in-the-universe')).toBeNull();
    const all = tokens.map((token) => signalFor(token.id));
    const missing = all.filter((signal) => signal === null).length;
    expect(missing).toBeGreaterThan(tokens.length / 10);
    expect(missing).toBeLessThan(tokens.length / 5);
    for (const signal of all) {
      if (!signal) continue;
      expect(Number.isInteger(signal.score) && signal.score >= 0 && signal.score <= 100).toBe(true);
      expect(['A', 'B', 'C', 'D']).toContain(signal.modelGrade);
    }
  });
});

describe('signals sandbox', () => {
  it('answers the batch endpoint with the derived signals, absent where there is none', async () => {
    const response = await fetch(
      `${sandbox.target}/v1/signals?tokenIds=bitcoin,${WITHOUT_SIGNAL},nope,ethereum`,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: [signalFor('bitcoin'), signalFor('ethereum')] });
  });

  it('refuses missing, malformed and more than 500 token ids with 400', async () => {
    const tooMany = tokens.slice(0, 501).map((token) => token.id);
    for (const query of ['', 'tokenIds=', 'tokenIds=BTC', 'tokenIds=a,,b', `tokenIds=${tooMany.join(',')}`]) {
      const response = await fetch(`${sandbox.target}/v1/signals?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad_request' });
    }
  });

  it('answers one signal, or 404 not_found when the token has none', async () => {
    const found = await fetch(`${sandbox.target}/v1/signals/bitcoin`);
    expect(await found.json()).toEqual(signalFor('bitcoin'));
    const missing = await fetch(`${sandbox.target}/v1/signals/${WITHOUT_SIGNAL}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
  });

  it('serves the admin routes over HTTP: faults, stats and reset', async () => {
    const set = await fetch(`${sandbox.adminUrl}/faults`, { method: 'POST', body: '{"outage":"garbage"}' });
    expect(set.status).toBe(200);
    const garbage = await fetch(`${sandbox.target}/v1/signals?tokenIds=bitcoin`);
    expect(garbage.status).toBe(200);
    await expect(garbage.json()).rejects.toThrow();
    const stats = (await (await fetch(`${sandbox.adminUrl}/stats`)).json()) as {
      stats: { total: number; byRoute: Record<string, number> };
    };
    expect(stats.stats).toMatchObject({ total: 1, byRoute: { 'GET /v1/signals': 1 } });
    expect((await fetch(`${sandbox.adminUrl}/reset`, { method: 'POST' })).status).toBe(200);
    expect(sandbox.control.faults.outage).toBe('off');
  });

  it('prints its ready line from main.ts and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'sources/signals/sandbox/main.ts', '--port', '0'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const ready = JSON.parse(line) as { sandbox: string; target: string; adminUrl: string };
      expect(ready.sandbox).toBe('signals');
      expect(ready.adminUrl).toBe(`${ready.target}/__sandbox`);
      expect(await (await fetch(`${ready.target}/healthz`)).json()).toEqual({ ok: true });
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('signals client and loaders', () => {
  it('batches one loader tick of 50 loads into exactly one upstream request', async () => {
    const ids = tokens.slice(0, 50).map((token) => token.id);
    const loaders = loadersOf();
    const batched = await Promise.all(ids.map((id) => loaders.signals.load(id)));
    expect(batchRequests()).toBe(1);
    expect(batched).toEqual(ids.map(signalFor));
  });

  it('splits 600 ids into two upstream requests', async () => {
    const ids = tokens.slice(0, 600).map((token) => token.id);
    expect(await loadersOf().signals.loadMany(ids)).toEqual(ids.map(signalFor));
    expect(batchRequests()).toBe(2);

    sandbox.control.reset();
    expect(await client.getSignals(ids)).toHaveLength(ids.filter((id) => signalFor(id)).length);
    expect(batchRequests()).toBe(2);
  });

  it('resolves tokens without a signal and unknown ids to null, in key order', async () => {
    const loaders = loadersOf();
    const loaded = await Promise.all(
      ['ethereum', WITHOUT_SIGNAL, 'no-such-token'].map((id) => loaders.signals.load(id)),
    );
    expect(loaded).toEqual([signalFor('ethereum'), null, null]);
  });

  it('pings the upstream health route', async () => {
    await expect(client.ping(AbortSignal.timeout(1000))).resolves.toBeUndefined();
    sandbox.control.setFaults({ outage: 'reset' });
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
      const loaders = loadersOf();
      const settled = await Promise.allSettled(
        ['bitcoin', WITHOUT_SIGNAL, 'no-such-token'].map((id) => loaders.signals.load(id)),
      );
      expect(batchRequests()).toBe(1);
      for (const result of settled) {
        expect(result.status).toBe('rejected');
        expectClientError((result as PromiseRejectedResult).reason, code);
      }
    });
  }
});

describe('signals resolvers', () => {
  let schema: GraphQLSchema;

  beforeAll(() => {
    const source = createSignalsSource(upstream);
    schema = buildExecutableSchema(
      [source.typeDefs, 'type Query { "A Token as market returns it." stubToken(id: ID!): Token }'],
      [source.resolvers, { Query: { stubToken: (_: unknown, { id }: { id: string }) => ({ id }) } }],
    );
  });

  const run = (query: string): Promise<ExecutionResult> =>
    graphql({ schema, source: query, contextValue: { signals: loadersOf() } });

  const query = `{
    a: stubToken(id: "bitcoin") { id signal { rating score modelGrade updatedAt } }
    b: stubToken(id: "${WITHOUT_SIGNAL}") { id signal { rating } }
    c: stubToken(id: "ethereum") { signal { rating } }
  }`;

  it('resolves Token.signal for many tokens in one request, null where there is none', async () => {
    const result = await run(query);
    expect(result.errors).toBeUndefined();
    const { tokenId: _, ...bitcoin } = signalFor('bitcoin') ?? {};
    expect(result.data).toEqual({
      a: { id: 'bitcoin', signal: bitcoin },
      b: { id: WITHOUT_SIGNAL, signal: null },
      c: { signal: { rating: signalFor('ethereum')?.rating } },
    });
    expect(batchRequests()).toBe(1);
  });

  it('fails only the signal fields when the upstream is down', async () => {
    sandbox.control.setFaults({ outage: 'error' });
    const result = await run(query);
    expect(result.data).toEqual({
      a: { id: 'bitcoin', signal: null },
      b: { id: WITHOUT_SIGNAL, signal: null },
      c: { signal: null },
    });
    expect(result.errors?.map((error) => error.path)).toEqual([
      ['a', 'signal'],
      ['b', 'signal'],
      ['c', 'signal'],
    ]);
    for (const error of result.errors ?? []) expectClientError(error, 'UPSTREAM_UNAVAILABLE');
  });
});
