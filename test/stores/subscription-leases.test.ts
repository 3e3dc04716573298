/**
 * One contract for both subscription lease stores (memory and Redis): the limit holds under bursts,
 * leases free on release and at expiry, renewals keep them; and what the Redis store does while
 * Redis fails (counts on this instance) and after it heals.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/processes.js';
import {
  createMemorySubscriptionLeaseStore,
  createRedisSubscriptionLeaseStore,
  type SubscriptionLeaseStore,
} from '../../src/stores/subscription-leases.js';
import { useTestRedis } from '../helpers/redis.js';
import { freshPrefix, useStoreRedis } from './redis-client.js';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A store and a way to let time pass for it (a fake clock in memory, real waiting on Redis). */
interface Harness {
  store: SubscriptionLeaseStore;
  advance(ms: number): Promise<void>;
}

function contract(name: string, make: () => Harness, available = true) {
  describe.skipIf(!available)(`${name} subscription lease store`, () => {
    it('grants leases up to the limit and counts them', async () => {
      const { store } = make();
      const owner = randomUUID();
      expect(await store.acquire(owner, 'a', 3, 60_000)).toEqual({ acquired: true, held: 1 });
      expect(await store.acquire(owner, 'b', 3, 60_000)).toEqual({ acquired: true, held: 2 });
      expect(await store.acquire(owner, 'c', 3, 60_000)).toEqual({ acquired: true, held: 3 });
      expect(await store.acquire(owner, 'd', 3, 60_000)).toEqual({ acquired: false, held: 3 });
      // A retried acquire of a lease already held is the same lease, not a second one.
      expect(await store.acquire(owner, 'b', 3, 60_000)).toEqual({ acquired: true, held: 3 });
    });

    it('grants exactly the limit under a parallel burst', async () => {
      const { store } = make();
      const owner = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.acquire(owner, `lease-${i}`, 10, 60_000)),
      );
      expect(results.filter((r) => r.acquired)).toHaveLength(10);
      expect(Math.max(...results.map((r) => r.held))).toBe(10);
    });

    it('frees a lease on release', async () => {
      const { store } = make();
      const owner = randomUUID();
      await store.acquire(owner, 'a', 2, 60_000);
      await store.acquire(owner, 'b', 2, 60_000);
      expect((await store.acquire(owner, 'c', 2, 60_000)).acquired).toBe(false);
      await store.release(owner, 'a');
      await store.release(owner, 'never-taken'); // releasing what is not held is harmless
      expect(await store.acquire(owner, 'c', 2, 60_000)).toEqual({ acquired: true, held: 2 });
    });

    it('frees a lease at its expiry (an instance that died without releasing)', async () => {
      const { store, advance } = make();
      const owner = randomUUID();
      expect((await store.acquire(owner, 'a', 1, 200)).acquired).toBe(true);
      expect((await store.acquire(owner, 'b', 1, 200)).acquired).toBe(false);
      await advance(300);
      expect(await store.acquire(owner, 'b', 1, 200)).toEqual({ acquired: true, held: 1 });
    });

    it('keeps a renewed lease past its original expiry, and frees it once renewals stop', async () => {
      const { store, advance } = make();
      const owner = randomUUID();
      const other = randomUUID();
      await store.acquire(owner, 'a', 1, 400);
      await store.acquire(other, 'x', 5, 400);
      await advance(250);
      await store.renew(
        [
          { owner, leaseId: 'a' },
          { owner: other, leaseId: 'x' },
        ],
        400,
      );
      await advance(250); // 500 ms after the acquire: past the original expiry, inside the renewed one
      expect(await store.acquire(owner, 'b', 1, 400)).toEqual({ acquired: false, held: 1 });
      expect(await store.acquire(other, 'y', 5, 400)).toEqual({ acquired: true, held: 2 });
      await advance(250); // 750 ms: past the renewed expiry (650 ms)
      expect(await store.acquire(owner, 'b', 1, 400)).toEqual({ acquired: true, held: 1 });
    });

    it('re-takes on renewal a lease that expired meanwhile: a live subscription counts', async () => {
      const { store, advance } = make();
      const owner = randomUUID();
      await store.acquire(owner, 'a', 1, 200);
      await advance(300);
      expect(await store.acquire(owner, 'b', 1, 60_000)).toEqual({ acquired: true, held: 1 });
      await store.renew([{ owner, leaseId: 'a' }], 60_000);
      // Over the limit until one ends: nothing new is granted.
      expect(await store.acquire(owner, 'c', 1, 60_000)).toEqual({ acquired: false, held: 2 });
      await store.release(owner, 'b');
      expect(await store.acquire(owner, 'c', 1, 60_000)).toEqual({ acquired: false, held: 1 });
      await store.release(owner, 'a');
      expect(await store.acquire(owner, 'c', 1, 60_000)).toEqual({ acquired: true, held: 1 });
    });

    it('counts each owner on its own', async () => {
      const { store } = make();
      const [alice, bob] = [randomUUID(), randomUUID()];
      expect((await store.acquire(alice, 'same-id', 1, 60_000)).acquired).toBe(true);
      expect((await store.acquire(alice, 'other', 1, 60_000)).acquired).toBe(false);
      expect(await store.acquire(bob, 'same-id', 1, 60_000)).toEqual({ acquired: true, held: 1 });
      await store.release(bob, 'same-id');
      expect((await store.acquire(alice, 'other', 1, 60_000)).acquired).toBe(false);
    });
  });
}

contract('memory', () => {
  let t = 1_000_000;
  return {
    store: createMemorySubscriptionLeaseStore(() => t),
    advance: async (ms) => {
      t += ms;
    },
  };
});

const redis = await useStoreRedis();
contract(
  'redis',
  () => ({
    store: createRedisSubscriptionLeaseStore({ redis: redis!, prefix: freshPrefix(), logger }),
    advance: sleep,
  }),
  redis !== undefined,
);

describe('redis subscription lease store across instances', async () => {
  const testRedis = redis ? await useTestRedis() : null;
  /** A gateway's own connection, as main.ts makes it (no offline queue). */
  const connections: Redis[] = [];
  async function connect(): Promise<Redis> {
    const client = new Redis(testRedis!.url, { enableOfflineQueue: false, lazyConnect: true });
    client.on('error', () => {}); // a dropped connection is what some tests are about
    connections.push(client);
    await client.connect();
    return client;
  }
  afterAll(() => {
    for (const client of connections) client.disconnect();
  });

  it.skipIf(!redis)('grants exactly the limit to a burst arriving on two instances', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await connect(), await connect()];
    const gateways = [a, b].map((client) =>
      createRedisSubscriptionLeaseStore({ redis: client, prefix, logger }),
    );
    const owner = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => gateways[i % 2]!.acquire(owner, `lease-${i}`, 10, 60_000)),
    );
    expect(results.filter((r) => r.acquired)).toHaveLength(10);
    // Each instance sees every lease, whichever took it (which one took how many depends on arrival order).
    for (const store of gateways) {
      expect(await store.acquire(owner, `late-${randomUUID()}`, 10, 60_000)).toEqual({
        acquired: false,
        held: 10,
      });
    }
    const held = await a.zcard(`${prefix}sublease:{${owner}}`);
    expect(held).toBe(10);
    // The set expires a little after its last lease.
    const pttl = await a.pttl(`${prefix}sublease:{${owner}}`);
    expect(pttl).toBeGreaterThan(60_000);
    expect(pttl).toBeLessThanOrEqual(61_000);
  });

  it.skipIf(!redis)('renews many leases of many owners with one script per owner', async () => {
    const prefix = freshPrefix();
    const client = await connect();
    const store = createRedisSubscriptionLeaseStore({ redis: client, prefix, logger });
    const owners = Array.from({ length: 5 }, () => randomUUID());
    const leases = owners.flatMap((owner) =>
      Array.from({ length: 3 }, (_, i) => ({ owner, leaseId: `l${i}` })),
    );
    for (const { owner, leaseId } of leases) await store.acquire(owner, leaseId, 3, 300);
    // What reaches Redis for this test's keys (MONITOR sees every client: other files share the Redis).
    const sent: string[][] = [];
    const monitor = await client.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // Commands the scripts run show up too, with `lua` as their source.
      if (source !== 'lua' && args.some((arg) => String(arg).startsWith(prefix))) sent.push(args);
    });
    await store.renew(leases, 60_000);
    await sleep(50);
    monitor.disconnect();
    // One script per owner (its one key, its three leases), nothing else.
    expect(sent.map((args) => [args[0]?.toLowerCase(), args[2], args.length])).toEqual(
      owners.map(() => ['eval', '1', 8]),
    );
    expect(new Set(sent.map((args) => args[3]))).toEqual(
      new Set(owners.map((o) => `${prefix}sublease:{${o}}`)),
    );
    await sleep(300); // past the acquire's ttl: only the renewal keeps them
    for (const owner of owners) expect((await store.acquire(owner, 'new', 3, 60_000)).acquired).toBe(false);
  });

  it.skipIf(!redis)(
    'counts on this instance while Redis is unreachable, the limit applied per instance',
    async () => {
      const port = await freePort(); // nothing listens there
      const down = new Redis(`redis://127.0.0.1:${port}`, {
        enableOfflineQueue: false,
        lazyConnect: true,
        retryStrategy: () => null,
      });
      down.on('error', () => {});
      let fallbacks = 0;
      const store = createRedisSubscriptionLeaseStore({
        redis: down,
        prefix: freshPrefix(),
        logger,
        onFallback: () => fallbacks++,
      });
      try {
        const owner = randomUUID();
        expect(await store.acquire(owner, 'a', 2, 60_000)).toEqual({ acquired: true, held: 1 });
        expect(await store.acquire(owner, 'b', 2, 60_000)).toEqual({ acquired: true, held: 2 });
        expect(await store.acquire(owner, 'c', 2, 60_000)).toEqual({ acquired: false, held: 2 });
        // Renewals and releases do not throw; the release frees the local lease.
        await store.renew([{ owner, leaseId: 'a' }], 60_000);
        await store.release(owner, 'a');
        expect(await store.acquire(owner, 'c', 2, 60_000)).toEqual({ acquired: true, held: 2 });
        expect(fallbacks).toBe(6);
      } finally {
        down.disconnect();
      }
    },
  );

  it.skipIf(!redis)(
    'counts its own Redis leases when Redis drops, and brings outage leases to Redis when it heals',
    async () => {
      const prefix = freshPrefix();
      const [flaky, steady] = [await connect(), await connect()];
      const instance = createRedisSubscriptionLeaseStore({ redis: flaky, prefix, logger });
      const other = createRedisSubscriptionLeaseStore({ redis: steady, prefix, logger });
      const owner = randomUUID();
      expect((await instance.acquire(owner, 'a', 3, 60_000)).acquired).toBe(true);
      expect((await instance.acquire(owner, 'b', 3, 60_000)).acquired).toBe(true);

      flaky.disconnect();
      // This instance already serves two: one more under the per-instance limit, not three.
      expect(await instance.acquire(owner, 'c', 3, 60_000)).toEqual({ acquired: true, held: 3 });
      expect((await instance.acquire(owner, 'd', 3, 60_000)).acquired).toBe(false);
      // Meanwhile Redis, which the other instance still reaches, knows of two.
      expect(await other.acquire(owner, 'x', 3, 60_000)).toEqual({ acquired: true, held: 3 });
      await other.release(owner, 'x');

      // disconnect() ends the connection asynchronously: connecting before it has ended throws
      // "already connecting/connected" (seen once under a loaded .ci/run).
      if (flaky.status !== 'end') await once(flaky, 'end');
      await flaky.connect();
      await instance.renew(
        ['a', 'b', 'c'].map((leaseId) => ({ owner, leaseId })),
        60_000,
      );
      // The lease taken during the outage is counted everywhere now.
      expect(await other.acquire(owner, 'x', 3, 60_000)).toEqual({ acquired: false, held: 3 });
    },
  );
});
