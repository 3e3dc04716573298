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
