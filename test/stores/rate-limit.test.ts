/** One contract for both rate-limit stores (memory and Redis): exact weighted logs, windows, gates. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryRateLimitStore,
  createRedisRateLimitStore,
  type LimitCheck,
  type RateLimitStore,
} from '../../src/stores/rate-limit.js';
import { withRateLimitLeases } from '../../src/stores/rate-limit-leases.js';
import { useTestRedis } from '../helpers/redis.js';

const testRedis = await useTestRedis();
const redis = testRedis ? new Redis(testRedis.url, { maxRetriesPerRequest: 1 }) : undefined;
afterAll(async () => {
  await redis?.quit();
  await testRedis?.stop();
});

// One owner for the file (the checks of one call share theirs); keys are fresh per test.
const OWNER = `owner-${randomUUID()}`;
const log = (key: string, weight: number, max = 10): LimitCheck => ({
  owner: OWNER,
  key,
  max,
  windowMs: 60_000,
  weight,
  kind: 'log',
});

function contract(name: string, make: () => RateLimitStore, available = true) {
  describe.skipIf(!available)(`${name} rate-limit store`, () => {
    it('admits a weighted call only when all of its units fit, and counts every unit', async () => {
      const store = make();
      const key = randomUUID();
      const t = 1_000_000;
      expect((await store.consume([log(key, 15)], t))[0]).toMatchObject({ allowed: false, remaining: 0 });
      expect((await store.consume([log(key, 6)], t))[0]).toMatchObject({ allowed: true, remaining: 4 });
      expect((await store.consume([log(key, 5)], t + 1))[0]!.allowed).toBe(false);
      expect((await store.consume([log(key, 4)], t + 2))[0]).toMatchObject({ allowed: true, remaining: 0 });
      expect((await store.consume([log(key, 1)], t + 3))[0]!.allowed).toBe(false);
      // The window slides: a minute after the first units, they are free again.
      expect((await store.consume([log(key, 6)], t + 60_001))[0]).toMatchObject({
        allowed: true,
        remaining: 0,
      });
    });

    it('counts nothing of a call whose gate is refused', async () => {
      const store = make();
      const field = randomUUID();
      const budget = randomUUID();
      const t = 2_000_000;
      const gate: LimitCheck = {
        owner: OWNER,
        key: budget,
        max: 100,
        windowMs: 60_000,
        weight: 150,
        kind: 'window',
        gate: true,
      };
      const [fieldResult, gateResult] = await store.consume([log(field, 3), gate], t);
      expect(fieldResult!.allowed).toBe(true);
      expect(gateResult!.allowed).toBe(false);
      // Nothing was counted: all ten units of the field are still there.
      expect((await store.consume([log(field, 10)], t + 1))[0]!.allowed).toBe(true);
    });

    it('counts the allowed checks of a call whose refused check is no gate', async () => {
      const store = make();
      const [a, b] = [randomUUID(), randomUUID()];
      const t = 3_000_000;
      const results = await store.consume([log(a, 2), log(b, 11)], t);
      expect(results.map((r) => r.allowed)).toEqual([true, false]);
      expect((await store.consume([log(a, 9)], t + 1))[0]!.allowed).toBe(false);
      expect((await store.consume([log(a, 8)], t + 1))[0]!.allowed).toBe(true);
    });

    it('admits exactly max units under a parallel burst of weighted calls', async () => {
      const store = make();
      const key = randomUUID();
      const t = 4_000_000;
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => store.consume([log(key, 3)], t + i)),
      );
      expect(results.filter(([r]) => r!.allowed)).toHaveLength(3);
    });
  });
}

contract('memory', () => createMemoryRateLimitStore());
contract(
  'redis',
  () => createRedisRateLimitStore({ redis: redis!, prefix: `test:${randomUUID()}:` }),
  redis !== undefined,
);

// The contract's maxima (10) are too small to lease: the wrapped store must decide exactly as Redis.
contract(
  'leased redis',
  () => withRateLimitLeases(createRedisRateLimitStore({ redis: redis!, prefix: `test:${randomUUID()}:` })),
  redis !== undefined,
);

describe.skipIf(!redis)('leases of large limits (one Redis, several instances)', () => {
  /** A Redis store that counts its round trips, shared by the instances of a test. */
  function sharedStore() {
    const inner = createRedisRateLimitStore({ redis: redis!, prefix: `test:${randomUUID()}:` });
    const counted = {
      trips: 0,
      consume(checks: readonly LimitCheck[], now: number) {
        counted.trips++;
        return inner.consume(checks, now);
      },
    };
    return counted;
  }

  it('admits exactly max from one instance, asking Redis about once per lease', async () => {
    const shared = sharedStore();
    const store = withRateLimitLeases(shared);
    const key = randomUUID();
    const t = 10_000_000;
    let allowed = 0;
    for (let i = 0; i < 1_100; i++)
      if ((await store.consume([log(key, 1, 1_000)], t + i / 10))[0]!.allowed) allowed++;
    expect(allowed).toBe(1_000);
    // Leases of 20 units (1000 / 50): ~50 trips to admit 1000, a few more once they run short.
    expect(shared.trips).toBeLessThan(200);
  });

  it('makes a burst wait for the one lease being fetched instead of asking Redis once per call', async () => {
    const shared = sharedStore();
    const store = withRateLimitLeases(shared);
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 32 }, () => store.consume([log(key, 1, 100_000)], 50_000_000)),
    );
    expect(results.every(([r]) => r!.allowed)).toBe(true);
    // The first call leases 64 calls' worth; the 31 others wait for it and spend it.
    expect(shared.trips).toBe(1);
  });

  it('never admits more than max across instances, whatever the interleaving', async () => {
    for (const max of [200, 500, 5_000]) {
      const shared = sharedStore();
      const instances = [
        withRateLimitLeases(shared),
        withRateLimitLeases(shared),
        withRateLimitLeases(shared),
      ];
      const key = randomUUID();
      const t = 20_000_000;
      const weights = [1, 2, 3];
      const results = await Promise.all(
        Array.from({ length: max }, (_, i) =>
          instances[i % 3]!.consume([log(key, weights[i % 3]!, max)], t + (i % 7)),
        ),
      );
      const admitted = results.reduce((sum, [r], i) => sum + (r!.allowed ? weights[i % 3]! : 0), 0);
      expect(admitted).toBeLessThanOrEqual(max);
      // What the other instances hold unspent is at most one lease each (max / 50, at most 100).
      expect(admitted).toBeGreaterThanOrEqual(max - 3 * Math.min(100, Math.floor(max / 50)) - 3);
    }
  });

  it("records a lease's units at the lease's end: none leaves the window before it could be spent", async () => {
    const shared = sharedStore();
    const store = withRateLimitLeases(shared, { leaseMs: 1_000 });
    const key = randomUUID();
    const t = 30_000_000;
    const max = 200;
    // One unit asked, five leased (1 + 200 / 50): all five stamped at t + 1000.
    expect((await store.consume([log(key, 1, max)], t))[0]).toMatchObject({ allowed: true });
    expect(shared.trips).toBe(1);
    // Spent from the lease, no round trip, until the lease ends.
    for (let i = 1; i <= 4; i++)
      expect((await store.consume([log(key, 1, max)], t + 999))[0]!.allowed).toBe(true);
    expect(shared.trips).toBe(1);
    // Ended: the next call asks Redis.
    await store.consume([log(key, 1, max)], t + 1_000);
    expect(shared.trips).toBe(2);
    // A minute after t the first five are still in the window (stamped t + 1000): 200 - 5 - 5 left.
    const after = await shared.consume([log(key, 1, max)], t + 60_500);
    expect(after[0]).toMatchObject({ allowed: true, remaining: 200 - 5 - 5 - 1 });
  });

  it('gives leased units back when the call is refused by its gate', async () => {
    const shared = sharedStore();
    const store = withRateLimitLeases(shared);
    const [field, budget] = [randomUUID(), randomUUID()];
    const t = 40_000_000;
    await store.consume([log(field, 1, 1_000)], t); // leases 20 more
    const gate: LimitCheck = {
      owner: OWNER,
      key: budget,
      max: 10,
      windowMs: 60_000,
      weight: 50,
      kind: 'window',
      gate: true,
    };
    const [fieldResult, gateResult] = await store.consume([log(field, 5, 1_000), gate], t + 1);
    expect(fieldResult!.allowed).toBe(true);
    expect(gateResult!.allowed).toBe(false);
    // All 20 leased units are still there: four calls of 5 pass without a trip.
    const trips = shared.trips;
    for (let i = 0; i < 4; i++)
      expect((await store.consume([log(field, 5, 1_000)], t + 2))[0]!.allowed).toBe(true);
    expect(shared.trips).toBe(trips);
  });
});

describe.skipIf(!redis)('redis rate-limit store scripts', () => {
  it('runs its script by SHA and loads it again where Redis has forgotten it (SCRIPT FLUSH, a restart)', async () => {
    const store = createRedisRateLimitStore({ redis: redis!, prefix: `test:${randomUUID()}:` });
    const key = randomUUID();
    expect((await store.consume([log(key, 1)], 1_000))[0]!.allowed).toBe(true);
    await redis!.script('FLUSH');
    expect((await store.consume([log(key, 1)], 1_001))[0]).toMatchObject({ allowed: true, remaining: 8 });
    const [loaded] = (await redis!.script('EXISTS', ...[await scriptSha()])) as number[];
    expect(loaded).toBe(1);
  });
});

/** The SHA-1 the store runs its script by: the one script it has loaded since the flush above. */
async function scriptSha(): Promise<string> {
  const { createHash } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  const source = readFileSync(new URL('../../src/stores/rate-limit.ts', import.meta.url), 'utf8');
  const body = /const CONSUME = `([\s\S]*?)`;/.exec(source)![1]!;
  return createHash('sha1').update(body).digest('hex');
}
