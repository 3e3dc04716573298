/**
 * Redis Cluster (REDIS_CLUSTER_NODES) on real processes: 3 masters and 3 replicas
 * (test/helpers/redis-cluster.ts). First the stores' multi-key paths on a Cluster client (every
 * script in one slot, batches split by node, SCAN over every master, pub/sub across nodes); then
 * the properties the fleet relies on, with gateways sharing the cluster as they would share one
 * REDIS_URL: a nonce accepted once, limits exact under a parallel burst (with 2 and with 4
 * instances), revocation pushed to every instance, cached answers dropped everywhere after a trade,
 * the key CLI. Failover under load is in redis-cluster-failover.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../src/keys/types.js';
import {
  createRedisApiKeyStore,
  createRedisInvalidationBus,
  createRedisNonceStore,
  createRedisRateLimitStore,
  createRedisResponseCache,
  createRedisSubscriptionLeaseStore,
} from '../../src/stores/index.js';
import { runCli } from '../helpers/cli.js';
import {
  codeOf,
  order,
  ordersWith,
  PLACE,
  PORTFOLIO,
  placed,
  replay,
  revokedWithinMs,
  signedOrder,
  sleep,
} from '../helpers/fleet.js';
import {
  type GraphQLReply,
  startTestGateway,
  TEST_ENCRYPTION_KEY,
  type TestGateway,
} from '../helpers/gateway.js';
import { useTestRedisCluster } from '../helpers/redis-cluster.js';

const cluster = await useTestRedisCluster();

// Skipped only where redis-server is missing and CI/REQUIRE_REDIS is unset (the helper says so loudly).
describe.skipIf(!cluster)('Redis Cluster', { timeout: 120_000 }, () => {
  const clients: Cluster[] = [];
  const gateways: TestGateway[] = [];
  const connect = () => {
    const client = new Cluster(cluster!.startupNodes.slice(), {
      scaleReads: 'master',
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    clients.push(client);
    return client;
  };
  const start = async (env: Record<string, string>, count: number) => {
    const started = await Promise.all(
      Array.from({ length: count }, () =>
        startTestGateway({ env: { REDIS_CLUSTER_NODES: cluster!.nodes, ...env } }),
      ),
    );
    gateways.push(...started);
    return started;
  };
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await cluster?.stop();
  });

  describe('stores on a Cluster client', () => {
    it('keeps API-key records on every master and lists them all (SCAN on each master)', async () => {
      const redis = connect();
      const prefix = `test:${randomUUID()}:`;
      const store = createRedisApiKeyStore({ redis, prefix });
      const clientId = `c-${randomUUID().slice(0, 8)}`;
      const records = Array.from({ length: 30 }, () => record(clientId));
      for (const r of records) expect(await store.create(r)).toBe(true);
      expect(await store.create(records[0]!)).toBe(false);

      // The records are spread over the three masters: a SCAN of one node would miss two thirds.
      const slots = await cluster!.slotsOf(records.map((r) => `${prefix}key:${r.keyId}`));
      const nodes = await cluster!.describe();
      const owners = new Set(
        slots.map(
          (slot) =>
            nodes.find((n) => n.role === 'master' && n.slots.some(([a, b]) => slot >= a && slot <= b))?.port,
        ),
      );
      expect(owners.size).toBe(3);
      const usable = await store.listUsable(Date.now());
      expect(usable.map((r) => r.keyId).sort()).toEqual(records.map((r) => r.keyId).sort());
      expect((await store.listByClient(clientId)).map((r) => r.keyId).sort()).toEqual(
        records.map((r) => r.keyId).sort(),
      );

      // Usage of keys in many slots, written in one call.
      const at = new Date().toISOString();
      await store.recordUsage(
        records.map((r) => ({ keyId: r.keyId, lastUsedAt: at, lastUsedIp: '10.0.0.1', graceUses: 2 })),
      );
      for (const r of records.slice(0, 5)) {
        expect(await store.get(r.keyId)).toMatchObject({
          lastUsedAt: at,
          lastUsedIp: '10.0.0.1',
          graceUseCount: 2,
        });
      }
      expect(await store.update(records[1]!.keyId, { revokedReason: 'test' })).toMatchObject({
        revokedReason: 'test',
      });
      expect(await store.update('no-such-key', { revokedReason: 'test' })).toBeNull();
    });

    it("checks and counts an owner's limits in one script (one slot), and refuses checks of two owners in one call", async () => {
      const store = createRedisRateLimitStore({ redis: connect(), prefix: `test:${randomUUID()}:` });
      const owner = `client:${randomUUID()}`;
      const field = {
        owner,
        key: 'Mutation.placeOrder',
        max: 2,
        windowMs: 60_000,
        weight: 1,
        kind: 'log',
      } as const;
      const cost = {
        owner,
        key: 'cost',
        max: 100,
        windowMs: 60_000,
        weight: 30,
        kind: 'window',
        gate: true,
      } as const;
      const t = Date.now();
      expect((await store.consume([field, cost], t)).map((r) => r.allowed)).toEqual([true, true]);
      expect((await store.consume([field, cost], t + 1)).map((r) => r.allowed)).toEqual([true, true]);
      expect((await store.consume([field, cost], t + 2)).map((r) => r.allowed)).toEqual([false, true]);
      // The gate refused: nothing of the call is counted.
      expect(
        (
          await store.consume(
            [
              { ...field, key: 'Query.other' },
              { ...cost, weight: 50 },
            ],
            t + 3,
          )
        ).map((r) => r.allowed),
      ).toEqual([true, false]);
      expect((await store.consume([{ ...field, key: 'Query.other' }], t + 4))[0]!.remaining).toBe(1);
      await expect(store.consume([field, { ...cost, owner: 'client:someone-else' }], t + 5)).rejects.toThrow(
        /share their owner/,
      );
    });

    it('caches, invalidates by entity and by session across slots', async () => {
      const cache = createRedisResponseCache({
        redis: connect(),
        prefix: `test:${randomUUID()}:`,
        logger: pino({ level: 'silent' }),
      });
      const entities = [
        { typename: 'Token', id: 'bitcoin' },
        { typename: 'Portfolio', id: 'acc-1' },
      ];
      const set = async () => {
        await cache.set('s1|q1', { data: { a: 1 } }, entities, 60_000);
        await cache.set('s2|q1', { data: { a: 2 } }, entities.slice(0, 1), 60_000);
        await cache.set('s1|q2', { data: { a: 3 } }, [], 60_000);
      };
      await set();
      expect(await cache.get('s1|q1')).toEqual({ data: { a: 1 } });
      await cache.invalidate([{ typename: 'Token', id: 'bitcoin' }]);
      expect([await cache.get('s1|q1'), await cache.get('s2|q1'), await cache.get('s1|q2')]).toEqual([
        undefined,
        undefined,
        { data: { a: 3 } },
      ]);
      await set();
      await cache.invalidateSession('s1');
      expect([await cache.get('s1|q1'), await cache.get('s2|q1'), await cache.get('s1|q2')]).toEqual([
        undefined,
        { data: { a: 2 } },
        undefined,
      ]);
    });

    it('renews the subscription leases of many owners in one call, and claims a nonce once', async () => {
      const redis = connect();
      const prefix = `test:${randomUUID()}:`;
      let fallbacks = 0;
      const leases = createRedisSubscriptionLeaseStore({
        redis,
        prefix,
        logger: pino({ level: 'silent' }),
        onFallback: () => fallbacks++,
      });
      const owners = Array.from({ length: 20 }, (_, i) => `client:o${i}-${randomUUID().slice(0, 6)}`);
      for (const owner of owners)
        expect(await leases.acquire(owner, 'l1', 1, 60_000)).toEqual({ acquired: true, held: 1 });
      await leases.renew(
        owners.map((owner) => ({ owner, leaseId: 'l1' })),
        60_000,
      );
      expect(fallbacks).toBe(0);
      expect(await leases.acquire(owners[7]!, 'l2', 1, 60_000)).toEqual({ acquired: false, held: 1 });

      const nonces = createRedisNonceStore({ redis, prefix });
      expect(await nonces.claim('k1', 'n1', 30)).toBe(true);
      expect(await nonces.claim('k1', 'n1', 30)).toBe(false);
    });

    it('delivers an invalidation published on one client to a subscriber on another', async () => {
      const prefix = `test:${randomUUID()}:`;
      const publisher = createRedisInvalidationBus({ redis: connect(), prefix });
      const listener = createRedisInvalidationBus({ redis: connect(), prefix });
      const heard: string[] = [];
      listener.subscribe((keyId) => heard.push(keyId));
      try {
        // The subscription is made once the listener's cluster is connected: publish until heard.
        for (let i = 0; i < 100 && heard.length === 0; i++) {
          await publisher.publish('key-1');
          await sleep(50);
        }
        expect(heard[0]).toBe('key-1');
      } finally {
        await Promise.all([publisher.close(), listener.close()]);
      }
    });
  });

  describe('two gateways sharing the cluster', () => {
    let a: TestGateway;
    let b: TestGateway;
    const prefix = `test:${randomUUID()}:`;
    beforeAll(async () => {
      [a, b] = (await start({ REDIS_KEY_PREFIX: prefix, RESPONSE_CACHE: 'true' }, 2)) as [
        TestGateway,
        TestGateway,
      ];
    });

    it('accepts a signed request once, however many copies reach either instance at once', async () => {
      const signed = signedOrder(a);
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => replay(i % 2 ? b.url : a.url, signed)),
      );
      expect(replies.filter(placed)).toHaveLength(1);
      expect(replies.filter((r) => r.status === 401 && codeOf(r) === 'REPLAYED_REQUEST')).toHaveLength(9);
      expect(ordersWith([a, b], signed.clientOrderId)).toBe(1);
    });

    it('refuses a key revoked on one instance at the other within a second (pushed over the cluster bus)', async () => {
      const { key, record } = await a.running.keys.create({ clientId: 'user-1', name: 'cluster' }, 'test');
      expect((await b.graphql(PORTFOLIO, {}, { 'x-api-key': key })).body.data?.portfolio).toEqual({
        accountId: 'acc-1',
      });
      const ms = await revokedWithinMs(a, [b], record.keyId, key);
      console.info('revocation seen by the other gateway on the cluster (ms)', Math.round(ms));
      expect(ms).toBeLessThan(1000);
    });

    it("drops a principal's cached answers on every instance after it trades", async () => {
      a.resetSandboxes();
      b.resetSandboxes();
      const query = '{ clusterCached: portfolio(accountId: "acc-1") { accountId positions { quantity } } }';
      await a.graphql(query);
      await b.graphql(query);
      expect([a.calls().portfolio, b.calls().portfolio]).toEqual([1, 0]); // b answered from the cache
      const trade = await b.signed(PLACE, order());
      expect(placed(trade), JSON.stringify(trade.body)).toBe(true);
      await a.graphql(query);
      // a reads fresh: its one earlier read, and one now.
      expect(a.calls().portfolio).toBe(2);
    });

    it('spreads the state over every master', async () => {
      const perMaster = await cluster!.keysPerMaster();
      expect(perMaster.size).toBe(3);
      expect([...perMaster.values()].every((keys) => keys > 0)).toBe(true);
    });

    it('lets the key CLI list and revoke keys on the cluster, the revocation pushed to the gateways', async () => {
      const clientId = 'user-1';
      const { key, record } = await a.running.keys.create({ clientId, name: 'cli-listed' }, 'test');
      const { REDIS_URL: _ignored, ...inherited } = process.env;
      const env = {
        ...inherited,
        NODE_ENV: 'test',
        KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        API_KEY_ENVIRONMENT: 'test',
        REDIS_CLUSTER_NODES: cluster!.nodes,
        REDIS_KEY_PREFIX: prefix,
      };
      const listed = await keysCli(['list', '--client', clientId, '--json'], env);
      expect(listed.code, listed.stderr).toBe(0);
      expect((JSON.parse(listed.stdout) as { keyId: string }[]).map((k) => k.keyId)).toContain(record.keyId);
      expect((await b.graphql(PORTFOLIO, {}, { 'x-api-key': key })).status).toBe(200);
      const revoked = await keysCli(['revoke', '--key', record.keyId, '--reason', 'cli test'], env);
      expect(revoked.code, revoked.stderr).toBe(0);
      // Pushed by the CLI's own connection to the cluster (the record cache's second is the backstop).
      let reply: GraphQLReply | undefined;
      for (
        let i = 0;
        i < 40 && codeOf(reply ?? { status: 0, headers: new Headers(), body: {} }) !== 'KEY_REVOKED';
        i++
      ) {
        reply = await b.graphql(PORTFOLIO, {}, { 'x-api-key': key });
        await sleep(50);
      }
      expect(codeOf(reply!)).toBe('KEY_REVOKED');
    });
  });

  it('keeps limits exact and revocation pushed when the fleet grows from 2 to 4 instances', async () => {
    const phase = async (count: number) => {
      // A namespace per phase: each starts from a fresh budget. Plans as in production: 10 placeOrder a minute.
      const fleet = await start(
        { REDIS_KEY_PREFIX: `test:${randomUUID()}:`, RATE_LIMIT_PLANS: 'free=1,pro=10,enterprise=100' },
        count,
      );
      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) => fleet[i % count]!.signed(PLACE, order())),
      );
      const admitted = replies.filter((r) => r.status === 200).length;
      const limited = replies.filter((r) => r.status === 429 && codeOf(r) === 'RATE_LIMITED').length;
      const sentUpstream = fleet.reduce(
        (sum, g) => sum + (g.trading.control.stats.byRoute.PlaceOrder ?? 0),
        0,
      );
      const { key, record } = await fleet[0]!.running.keys.create(
        { clientId: 'user-1', name: 'fleet' },
        'test',
      );
      for (const g of fleet.slice(1))
        expect((await g.graphql(PORTFOLIO, {}, { 'x-api-key': key })).status).toBe(200);
      const revokedMs = await revokedWithinMs(fleet[0]!, fleet.slice(1), record.keyId, key);
      await Promise.all(fleet.map((g) => g.close()));
      gateways.splice(0, gateways.length, ...gateways.filter((g) => !fleet.includes(g)));
      return { admitted, limited, sentUpstream, revokedMs: Math.round(revokedMs) };
    };
    const two = await phase(2);
    const four = await phase(4);
    console.log(
      `cluster fleet 2 -> 4 instances: placeOrder burst of 100 admitted ${two.admitted} -> ${four.admitted} (limit 10), upstream saw ${two.sentUpstream} -> ${four.sentUpstream}, revocation seen by every other instance within ${two.revokedMs} -> ${four.revokedMs} ms`,
    );
    for (const result of [two, four]) {
      expect(result).toMatchObject({ admitted: 10, limited: 90, sentUpstream: 10 });
      expect(result.revokedMs).toBeLessThan(1000);
    }
  });
});

function record(clientId: string): ApiKeyRecord {
  return {
    keyId: randomUUID().replace(/-/g, '').slice(0, 16),
    clientId,
    version: 1,
    name: 'cluster',
    environment: 'test',
    scopes: ['market:read'],
    plan: 'free',
    hash: 'ab'.repeat(32),
    createdAt: new Date().toISOString(),
    expiresAt: null,
    revokedAt: null,
    revokedReason: null,
    supersededBy: null,
    sunsetAt: null,
    allowedCidrs: null,
    signing: null,
    lastUsedAt: null,
    lastUsedIp: null,
    graceUseCount: 0,
  };
}

/** The key CLI against this cluster (`npm run keys -- …`). */
const keysCli = (args: readonly string[], env: NodeJS.ProcessEnv) =>
  runCli('keys', args, env, { timeoutMs: 30_000 });
