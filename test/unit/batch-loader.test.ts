import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createBatchLoader, inChunks, PENDING } from '../../src/upstream/batch-loader.js';
import {
  createUpstreamCalls,
  type UpstreamCallOptions,
  type UpstreamRequest,
} from '../../src/upstream/call.js';
import { UpstreamError, type UpstreamFailureCases } from '../../src/upstream/errors.js';
import type { UpstreamCallScope } from '../../src/upstream/observer.js';

interface Item {
  readonly id: string;
}

/** A request with a logger that keeps its lines. */
function request(signal = new AbortController().signal) {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const telemetry: UpstreamCallScope = { upstreamCalls: 0, upstreamErrors: [], traceContext: undefined };
  const scope: UpstreamRequest = { requestId: 'req-1', signal, log, telemetry };
  return { scope, lines, calls: createUpstreamCalls(scope) };
}

/** A batch endpoint that knows every id but `unknown-*`, recording each call. */
function endpoint() {
  const seen: { ids: readonly string[]; options: UpstreamCallOptions }[] = [];
  const batch = async (ids: readonly string[], options: UpstreamCallOptions): Promise<Item[]> => {
    seen.push({ ids, options });
    return ids.filter((id) => !id.startsWith('unknown')).map((id) => ({ id }));
  };
  return { seen, batch };
}

const unavailable = () => new UpstreamError('UPSTREAM_UNAVAILABLE', 'market', 'HTTP 503 at 10.0.0.7');

describe('createBatchLoader over a batch endpoint', () => {
  it("makes one call per tick with the request's options, answers in key order, unknown keys null", async () => {
    const { scope, calls } = request();
    const { seen, batch } = endpoint();
    const loader = createBatchLoader(calls, { batch, keyOf: (item: Item) => item.id });
    const loaded = await Promise.all(['b', 'unknown-1', 'a', 'b'].map((id) => loader.load(id)));
    expect(loaded).toEqual([{ id: 'b' }, null, { id: 'a' }, { id: 'b' }]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ids).toEqual(['b', 'unknown-1', 'a']);
    expect(seen[0]!.options).toEqual({
      signal: scope.signal,
      requestId: 'req-1',
      scope: scope.telemetry,
    });
  });

  it("chunks a tick to the upstream's batch size, in parallel calls", async () => {
    const { calls } = request();
    const { seen, batch } = endpoint();
    const loader = createBatchLoader(calls, { batch, keyOf: (item: Item) => item.id, maxBatchSize: 2 });
    const ids = ['a', 'b', 'c', 'd', 'e'];
    expect(await loader.loadMany(ids)).toEqual(ids.map((id) => ({ id })));
    expect(seen.map((call) => call.ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('tells onLoad every value, null for unknown keys', async () => {
    const { calls } = request();
    const { batch } = endpoint();
    const loads: [string, Item | null][] = [];
    const loader = createBatchLoader(calls, {
      batch,
      keyOf: (item: Item) => item.id,
      onLoad: (key, value) => loads.push([key, value]),
    });
    await loader.loadMany(['a', 'unknown-1']);
    expect(loads).toEqual([
      ['a', { id: 'a' }],
      ['unknown-1', null],
    ]);
  });

  it('rejects every key of a failed call with one client error, its detail logged once', async () => {
    const { calls, lines } = request();
    const loader = createBatchLoader(calls, {
      batch: async () => Promise.reject(unavailable()),
      keyOf: (item: Item) => item.id,
    });
    const results = await loader.loadMany(['a', 'b']);
    expect(results[0]).toBeInstanceOf(GraphQLError);
    expect(results[1]).toBe(results[0]);
    const error = results[0] as GraphQLError;
    expect(error.message).toBe('The market service is unavailable.');
    expect(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', source: 'market' });
    expect(JSON.stringify(error)).not.toContain('10.0.0.7');
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'market call failed', source: 'market', code: 'UPSTREAM_UNAVAILABLE' }),
    ]);
    expect(JSON.stringify(lines[0])).toContain('10.0.0.7');
  });

  it('keeps a failed call for the request: a later load of its keys does not call again', async () => {
    const { calls } = request();
    let made = 0;
    const loader = createBatchLoader(calls, {
      batch: async () => {
        made++;
        throw unavailable();
      },
      keyOf: (item: Item) => item.id,
    });
    const first = await loader.load('a').catch((err: unknown) => err);
    const again = await loader.load('a').catch((err: unknown) => err);
    expect(first).toBeInstanceOf(GraphQLError);
    expect(again).toBe(first);
    expect(made).toBe(1);
  });

  it('tells what its batches have answered without a promise, and forgets it with its cache', async () => {
    const { calls } = request();
    const { seen, batch } = endpoint();
    const loader = createBatchLoader(calls, { batch, keyOf: (item: Item) => item.id });
    expect(loader.settled('a')).toBe(PENDING);
    const loading = Promise.all([loader.load('a'), loader.load('unknown-1')]);
    expect(loader.settled('a')).toBe(PENDING);
    // What a resolver returns: the load's promise before the value arrives, the value itself after.
    expect(loader.loadSettled('a')).toBeInstanceOf(Promise);
    await loading;
    expect(loader.settled('a')).toEqual({ id: 'a' });
    expect(loader.loadSettled('a')).toEqual({ id: 'a' });
    expect(loader.settled('unknown-1')).toBeNull();
    expect(loader.settled('b')).toBe(PENDING);
    loader.clear('a');
    expect(loader.settled('a')).toBe(PENDING);
    expect(loader.settled('unknown-1')).toBeNull();
    loader.clearAll();
    expect(loader.settled('unknown-1')).toBe(PENDING);
    // A batch out when the cache is cleared records nothing: what it fetched predates the clear.
    let answer!: () => void;
    const gated = createBatchLoader(calls, {
      batch: async (ids: readonly string[], options: UpstreamCallOptions) => {
        await new Promise<void>((resolve) => {
          answer = resolve;
        });
        return batch(ids, options);
      },
      keyOf: (item: Item) => item.id,
    });
    const out = gated.load('c');
    await new Promise((resolve) => setImmediate(resolve));
    gated.clearAll();
    answer();
    await out;
    expect(gated.settled('c')).toBe(PENDING);
    const again = gated.load('c');
    await new Promise((resolve) => setImmediate(resolve));
    answer();
    await again;
    expect(gated.settled('c')).toEqual({ id: 'c' });
    expect(seen.map((call) => call.ids)).toEqual([['a', 'unknown-1'], ['c'], ['c']]);
  });

  it('tells a failed key as its error, the one its loads reject with', async () => {
    const { calls } = request();
    const loader = createBatchLoader(calls, {
      batch: async () => {
        throw unavailable();
      },
      keyOf: (item: Item) => item.id,
    });
    const failure = await loader.load('a').catch((err: unknown) => err);
    expect(loader.settled('a')).toBe(failure);
    expect(() => loader.loadSettled('a')).toThrow(failure as Error);
    expect(failure).toBeInstanceOf(GraphQLError);
  });

  it('does not log the failures of a request whose client has gone', async () => {
    const controller = new AbortController();
    const { calls, lines } = request(controller.signal);
    controller.abort();
    const loader = createBatchLoader(calls, {
      batch: async () => Promise.reject(unavailable()),
      keyOf: (item: Item) => item.id,
    });
    await expect(loader.load('a')).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(lines).toEqual([]);
  });

  it('leaves a failure that is not an upstream failure to the error mask, unlogged', async () => {
    const { calls, lines } = request();
    const bug = new TypeError('boom');
    const loader = createBatchLoader(calls, {
      batch: async () => Promise.reject(bug),
      keyOf: (item: Item) => item.id,
    });
    await expect(loader.load('a')).rejects.toBe(bug);
    expect(lines).toEqual([]);
  });
});

describe('createBatchLoader over an endpoint of one key per call', () => {
  it('makes one call per distinct key, by cache key; a failed key fails alone', async () => {
    const { calls, lines } = request();
    const seen: string[] = [];
    const loader = createBatchLoader(calls, {
      each: async ({ id }: { id: string; n: number }) => {
        seen.push(id);
        if (id === 'down') throw unavailable();
        return id.toUpperCase();
      },
      cacheKeyFn: ({ id }) => id,
    });
    const results = await loader.loadMany([
      { id: 'a', n: 1 },
      { id: 'down', n: 2 },
      { id: 'a', n: 3 },
    ]);
    expect(seen).toEqual(['a', 'down']);
    expect(results[0]).toBe('A');
    expect(results[2]).toBe('A');
    expect(results[1]).toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE', source: 'market' } });
    expect(lines).toHaveLength(1);
  });

  it('tells onLoad each value (to prime other loaders of the request)', async () => {
    const { calls } = request();
    const primed: string[] = [];
    const loader = createBatchLoader(calls, {
      each: async (user: string) => [`${user}-acc-1`, `${user}-acc-2`],
      onLoad: (_user, accounts) => primed.push(...accounts),
    });
    await loader.load('user-1');
    expect(primed).toEqual(['user-1-acc-1', 'user-1-acc-2']);
  });
});

describe('createUpstreamCalls', () => {
  const timeout = () => new UpstreamError('UPSTREAM_TIMEOUT', 'trading', 'PlaceOrder: DEADLINE_EXCEEDED');
  const exists = () =>
    new UpstreamError('BAD_USER_INPUT', 'trading', 'PlaceOrder: ALREADY_EXISTS', { status: 6 });
  const cases: UpstreamFailureCases = [
    {
      failure: 'UPSTREAM_TIMEOUT',
      answer: 'UPSTREAM_TIMEOUT',
      message: 'The order may or may not have been placed.',
      details: { ambiguous: true },
    },
    { status: 6, answer: 'BAD_USER_INPUT', message: 'Choose a new clientOrderId.', log: false },
  ];

  it('answers a failure with the first case that matches its code or status, else with the default', async () => {
    const { calls, lines } = request();
    await expect(calls.run(async () => Promise.reject(timeout()), cases)).rejects.toMatchObject({
      message: 'The order may or may not have been placed.',
      extensions: { code: 'UPSTREAM_TIMEOUT', source: 'trading', ambiguous: true },
    });
    await expect(calls.run(async () => Promise.reject(exists()), cases)).rejects.toMatchObject({
      message: 'Choose a new clientOrderId.',
      extensions: { code: 'BAD_USER_INPUT', source: 'trading' },
    });
    await expect(calls.run(async () => Promise.reject(exists()))).rejects.toMatchObject({
      message: 'The trading service refused the input.',
      extensions: { code: 'BAD_USER_INPUT', source: 'trading' },
    });
    // The case that says so is not logged; the others are.
    expect(lines.map((line) => line.code)).toEqual(['UPSTREAM_TIMEOUT', 'BAD_USER_INPUT']);
  });

  it("passes the request's options to the call and its value back", async () => {
    const { scope, calls } = request();
    await expect(calls.run(async (options) => options.requestId)).resolves.toBe('req-1');
    expect(calls.options.signal).toBe(scope.signal);
  });
});

describe('inChunks', () => {
  it('makes no call for no keys, one for a chunk, parallel calls joined in order for more', async () => {
    const chunks: (readonly number[])[] = [];
    const fetch = async (chunk: readonly number[]) => {
      chunks.push(chunk);
      return chunk.map((n) => n * 10);
    };
    expect(await inChunks([], 2, fetch)).toEqual([]);
    expect(await inChunks([1, 2], 2, fetch)).toEqual([10, 20]);
    expect(await inChunks([1, 2, 3, 4, 5], 2, fetch)).toEqual([10, 20, 30, 40, 50]);
    expect(chunks).toEqual([[1, 2], [1, 2], [3, 4], [5]]);
  });
});
