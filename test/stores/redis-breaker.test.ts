/**
 * The Redis breaker on a private redis-server that the test stops (SIGSTOP: the connection stays
 * open and commands wait, as on a hung Redis) and resumes; and the single-flight reads of the
 * stores that many requests share.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisPersistedOperationStore, createRedisResponseCache } from '../../src/stores/index.js';
import { guardRedis, type RedisBreakerState } from '../../src/stores/redis-breaker.js';
import { type TestRedis, useTestRedis } from '../helpers/redis.js';

/** A client as main.ts makes it (no offline queue), connected. */
async function connect(url: string): Promise<Redis> {
  const client = new Redis(url, { enableOfflineQueue: false, commandTimeout: 200, lazyConnect: true });
  await client.connect();
  return client;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Settles a promise into its outcome and when it came, measured from `since`. */
const outcome = (promise: Promise<unknown>, since: number) =>
  promise.then(
    (value) => ({ value, err: undefined as unknown, ms: performance.now() - since }),
    (err: unknown) => ({ value: undefined, err, ms: performance.now() - since }),
  );

describe('Redis breaker', () => {
  let redis: TestRedis | null;
  let pid = 0;
  beforeAll(async () => {
    redis = await useTestRedis({ private: true });
    if (!redis) return;
    const client = new Redis(redis.url);
    pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
    await client.quit();
  });
  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    await redis?.stop();
  });

  it('opens on a timeout, fails every waiting and later command at once, probes, and closes when Redis answers', async (context) => {
    if (!redis) return context.skip();
    const client = await connect(redis.url);
    const states: RedisBreakerState[] = [];
    const breaker = guardRedis(client, {
      openMs: 150,
      probeTimeoutMs: 50,
      onStateChange: (state) => states.push(state),
    });
    try {
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');

      process.kill(pid, 'SIGSTOP');
      const started = performance.now();
      const first = outcome(client.get('k'), started);
      await sleep(100);
      const second = outcome(client.eval('return 1', 0), started); // sent before the breaker opened
      const [a, b] = await Promise.all([first, second]);
      expect((a.err as Error).message).toBe('Command timed out');
      expect(a.ms).toBeGreaterThanOrEqual(195);
      // The second command does not wait out its own timeout (it would end at ≥ 300 ms).
      expect(b.err).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      expect(b.ms).toBeLessThan(260);
      expect(breaker.state).toBe('open');

      const fast = performance.now();
      const refused = await outcome(client.get('k'), fast);
      expect(refused.err).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      expect(refused.ms).toBeLessThan(20);
      const pipelined = await client.pipeline().get('k').set('k', 'w').exec();
      expect(pipelined?.map(([err]) => (err as { code?: string } | null)?.code)).toEqual([
        'REDIS_UNAVAILABLE',
        'REDIS_UNAVAILABLE',
      ]);

      // Still hung: the probe PING times out (50 ms) and the breaker opens again.
      await sleep(300);
      expect(states.slice(0, 3)).toEqual(['open', 'half_open', 'open']);

      process.kill(pid, 'SIGCONT');
      const resumed = performance.now();
      while (breaker.state !== 'closed' && performance.now() - resumed < 2000) await sleep(10);
      expect(breaker.state).toBe('closed');
      expect(performance.now() - resumed).toBeLessThan(150 + 50 + 100);
      expect(await client.get('k')).toBe('v'); // the refused SET never reached Redis
      expect(states.at(-1)).toBe('closed');
    } finally {
      process.kill(pid, 'SIGCONT');
      breaker.dispose();
      client.disconnect();
    }
  });

  it('lets a new connection through its handshake while open, and closes once it is ready', async (context) => {
    if (!redis) return context.skip();
    const client = await connect(redis.url);
    const breaker = guardRedis(client, { openMs: 60_000 }); // no probe during this test
    try {
      process.kill(pid, 'SIGSTOP');
      await expect(client.get('k')).rejects.toThrow('Command timed out');
      expect(breaker.state).toBe('open');
      client.disconnect(true); // the connection drops and ioredis reconnects
      await sleep(100);
      process.kill(pid, 'SIGCONT');
      const resumed = performance.now();
      while (breaker.state !== 'closed' && performance.now() - resumed < 3000) await sleep(10);
      expect(breaker.state).toBe('closed');
      await client.set('k', 'healed');
      expect(await client.get('k')).toBe('healed');
    } finally {
      process.kill(pid, 'SIGCONT');
      breaker.dispose();
      client.disconnect();
    }
  });

  it('counts only timeouts: error replies and answers keep it closed', async (context) => {
    if (!redis) return context.skip();
    const client = await connect(redis.url);
    const breaker = guardRedis(client, { consecutiveTimeouts: 2 });
    try {
      for (let i = 0; i < 5; i++) {
        await expect(client.call('NO-SUCH-COMMAND')).rejects.toThrow(/unknown command/i);
      }
      await client.set('k', 'v');
      expect(breaker.state).toBe('closed');
    } finally {
      breaker.dispose();
      client.disconnect();
    }
  });

  it('refuses a consecutiveTimeouts that is not a positive integer', () => {
    const client = new Redis({ lazyConnect: true });
    expect(() => guardRedis(client, { consecutiveTimeouts: 0 })).toThrow(/consecutiveTimeouts.*got 0/);
    client.disconnect();
  });
});

describe('single-flight reads', () => {
  /** A Redis whose GET answers after a tick and counts its calls. */
  function countingRedis() {
    const calls: string[] = [];
    const redis = {
      get: async (key: string) => {
        calls.push(key);
        await sleep(5);
        return key.endsWith('known') ? JSON.stringify({ data: { ok: true } }) : null;
      },
    } as unknown as Redis;
    return { redis, calls };
  }

  it('shares one GET among concurrent lookups of one persisted operation, and reads afresh afterwards', async () => {
    const { redis, calls } = countingRedis();
    const store = createRedisPersistedOperationStore({ redis, prefix: 't:' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => store.get('known')));
    expect(new Set(answers)).toEqual(new Set([JSON.stringify({ data: { ok: true } })]));
    expect(calls).toEqual(['t:apq:known']);
    await Promise.all([store.get('known'), store.get('other')]);
    expect(calls).toEqual(['t:apq:known', 't:apq:known', 't:apq:other']);
  });

  it('shares one GET among concurrent reads of one cached response, each with its own copy', async () => {
    const { redis, calls } = countingRedis();
    const { pino } = await import('pino');
    const cache = createRedisResponseCache({ redis, prefix: 't:', logger: pino({ enabled: false }) });
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.get('public|known')));
    expect(calls).toEqual(['t:rc:r:public|known']);
    expect(answers[0]).toEqual({ data: { ok: true } });
    expect(answers[0]).not.toBe(answers[1]);
  });
});
