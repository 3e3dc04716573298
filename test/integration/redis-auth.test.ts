/**
 * Redis with passwords (AUTH, ACL users) behind Sentinel and on a Cluster, on real processes: a
 * Sentinel deployment whose data nodes admit only an ACL user (the `default` user off) and whose
 * sentinels have a password of their own, and a 3-master cluster with `requirepass` on every node.
 * With the right credentials a gateway answers reads and accepts signed mutations (nonces in Redis)
 * and its invalidation bus subscribes (a duplicate connection, which must keep the credentials); so
 * does the key CLI. With a wrong or missing password it starts and serves reads, refuses signed
 * mutations with 503 (fail closed, as in any Redis outage), says "authentication failed" in one log
 * line naming the variable to check, and no log line ever carries a password.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { runCli } from '../helpers/cli.js';
import { order, PLACE, PORTFOLIO } from '../helpers/fleet.js';
import { startTestGateway, TEST_ENCRYPTION_KEY, type TestGateway } from '../helpers/gateway.js';
import { useTestPostgres } from '../helpers/postgres.js';
import { useTestRedisSentinel } from '../helpers/redis.js';
import { useTestRedisCluster } from '../helpers/redis-cluster.js';

// Distinct, searchable values: a log line carrying one is found whatever the field.
const USERNAME = 'switchyard-gw';
const PASSWORD = `node-pw-${randomUUID()}`;
const SENTINEL_PASSWORD = `sentinel-pw-${randomUUID()}`;
const CLUSTER_PASSWORD = `cluster-pw-${randomUUID()}`;
const WRONG_PASSWORD = `wrong-pw-${randomUUID()}`;
const PASSWORDS = [PASSWORD, SENTINEL_PASSWORD, CLUSTER_PASSWORD, WRONG_PASSWORD];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Reply = Awaited<ReturnType<TestGateway['graphql']>>;
const codeOf = (reply: Reply) => reply.body.errors?.[0]?.extensions?.code;

// Started once for the file (each takes seconds), one after the other (the machine has 2 cores).
const sentinel = await useTestRedisSentinel({
  password: PASSWORD,
  username: USERNAME,
  sentinelPassword: SENTINEL_PASSWORD,
});
// A cluster that fails to start fails the file before any hook runs: the sentinels go with it.
const cluster = await useTestRedisCluster({ password: CLUSTER_PASSWORD }).catch(async (err: unknown) => {
  await sentinel?.stop();
  throw err;
});
afterAll(async () => {
  await sentinel?.stop();
  await cluster?.stop();
});

/** A gateway whose root logger (the production one, at trace level) writes its lines to memory. */
async function gatewayWithLogs(env: Record<string, string>) {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    pretty: false,
    destination: { write: (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) },
  });
  const gateway = await startTestGateway({
    env: { REDIS_KEY_PREFIX: `test:${randomUUID()}:`, ...env },
    logger,
  });
  return { gateway, lines };
}

/** The lines that carry any of the passwords (in any field, in any form the line writes). */
const leaks = (lines: readonly string[]) => lines.filter((line) => PASSWORDS.some((pw) => line.includes(pw)));

/** The health log's "redis unreachable" lines. */
const unreachable = (lines: readonly string[]) =>
  lines
    .map((line) => JSON.parse(line) as { msg?: string; reason?: string })
    .filter((entry) => entry.msg?.startsWith('redis unreachable'));

/** Reads answer with data, a signed order is placed, /readyz answers 200. */
async function expectServesWithRedis(gateway: TestGateway) {
  const read = await gateway.graphql(PORTFOLIO);
  expect(read.status, JSON.stringify(read.body)).toBe(200);
  expect(read.body.data?.portfolio).toEqual({ accountId: 'acc-1' });
  const placed = await gateway.signed(PLACE, order());
  expect(placed.status, JSON.stringify(placed.body)).toBe(200);
  expect(placed.body.data?.placeOrder).toMatchObject({ status: 'OPEN' });
  expect((await fetch(`${gateway.origin}/readyz`)).status).toBe(200);
}

/**
 * A gateway whose Redis refuses its credentials: started (keys in PostgreSQL, so the test has some),
 * reads answer, signed mutations get 503 SERVICE_UNAVAILABLE, /readyz 503, and after a few
 * reconnect attempts there is still one "redis unreachable" line, saying authentication failed
 * and naming `check`. No line carries a password.
 */
async function expectFailsClosed(env: Record<string, string>, check: string) {
  const database = await useTestPostgres();
  if (!database) return 'skipped';
  const { gateway, lines } = await gatewayWithLogs({ ...env, DATABASE_URL: database.url });
  try {
    const read = await gateway.graphql(PORTFOLIO);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.data?.portfolio).toEqual({ accountId: 'acc-1' });
    const refused = await gateway.signed(PLACE, order());
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(codeOf(refused)).toBe('SERVICE_UNAVAILABLE');
    expect((await fetch(`${gateway.origin}/readyz`)).status).toBe(503);
    // ioredis keeps reconnecting (and being refused) meanwhile: the log still says it once.
    await sleep(2000);
    expect((await gateway.signed(PLACE, order())).status).toBe(503);
    const said = unreachable(lines);
    expect(said, JSON.stringify(said)).toHaveLength(1);
    expect(said[0]?.reason).toMatch(/^(cluster node \S+: )?authentication failed \(/);
    expect(said[0]?.reason).toContain(`check ${check}`);
    expect(leaks(lines)).toEqual([]);
  } finally {
    await gateway.close();
    await database.drop();
  }
  return 'ran';
}

/** Subscribers of `channel` on each of `ports` (PUBSUB NUMSUB), summed. */
async function subscribers(ports: readonly number[], channel: string, credentials: object) {
  let total = 0;
  for (const port of ports) {
    const node = new Redis({ port, lazyConnect: true, retryStrategy: () => null, ...credentials });
    node.on('error', () => {});
    try {
      await node.connect();
      const [, count] = (await node.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
      total += count;
    } finally {
      node.disconnect();
    }
  }
  return total;
}

/** Polls until the invalidation bus of a gateway with `prefix` is subscribed somewhere in `ports`. */
async function busSubscribed(ports: readonly number[], prefix: string, credentials: object) {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if ((await subscribers(ports, `${prefix}key-invalidations`, credentials)) > 0) return true;
    await sleep(100);
  }
  return false;
}

/** The key CLI with this test's variables (and none of the suite's REDIS_URL). */
function keysCli(args: readonly string[], env: Record<string, string>) {
  const { REDIS_URL: _ignored, ...inherited } = process.env;
  return runCli(
    'keys',
    args,
    {
      ...inherited,
      NODE_ENV: 'test',
      KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      API_KEY_ENVIRONMENT: 'test',
      ...env,
    },
    { timeoutMs: 30_000 },
  );
}

/**
 * The key CLI, given the gateways' Redis variables, reads the key store the gateway writes: it lists
 * a key the gateway just created, and never prints the password.
 */
async function expectKeyCliLists(gateway: TestGateway, env: Record<string, string>, password: string) {
  const clientId = `cli-${randomUUID().slice(0, 8)}`;
  const { record } = await gateway.running.keys.create({ clientId, name: 'listed' }, 'test');
  const ran = await keysCli(['list', '--client', clientId, '--json'], env);
  expect(ran.code, ran.stderr).toBe(0);
  expect((JSON.parse(ran.stdout) as { keyId: string }[]).map((k) => k.keyId)).toEqual([record.keyId]);
  expect(`${ran.stdout}${ran.stderr}`).not.toContain(password);
}

// Skipped only where redis-server is missing and CI/REQUIRE_REDIS is unset (the helper says so loudly).
describe.skipIf(!sentinel)('Redis behind Sentinel with passwords', { timeout: 60_000 }, () => {
  const env = () => ({ REDIS_SENTINELS: sentinel!.sentinels, REDIS_SENTINEL_NAME: sentinel!.name });
  const credentials = { username: USERNAME, password: PASSWORD };

  it('serves with the ACL user, its password and the sentinels’ password, and so does the key CLI', async () => {
    const prefix = `test:${randomUUID()}:`;
    const { gateway, lines } = await gatewayWithLogs({
      ...env(),
      REDIS_KEY_PREFIX: prefix,
      REDIS_USERNAME: USERNAME,
      REDIS_PASSWORD: PASSWORD,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    });
    try {
      await expectServesWithRedis(gateway);
      // The invalidation bus's subscriber (a duplicate of the client) got in with the same user.
      expect(await busSubscribed([await sentinel!.masterPort()], prefix, credentials)).toBe(true);

      await expectKeyCliLists(
        gateway,
        {
          ...env(),
          REDIS_KEY_PREFIX: prefix,
          REDIS_USERNAME: USERNAME,
          REDIS_PASSWORD: PASSWORD,
          REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
        },
        PASSWORD,
      );
      expect(unreachable(lines)).toEqual([]);
    } finally {
      await gateway.close();
    }
    expect(leaks(lines)).toEqual([]);
  });

  it('fails closed on a wrong Redis password, saying authentication failed once', async (context) => {
    const outcome = await expectFailsClosed(
      {
        ...env(),
        REDIS_USERNAME: USERNAME,
        REDIS_PASSWORD: WRONG_PASSWORD,
        REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      },
      'REDIS_PASSWORD (and REDIS_USERNAME)',
    );
    if (outcome === 'skipped') context.skip();
  });

  it('fails closed on a wrong sentinel password, naming the sentinels’ variables', async (context) => {
    const outcome = await expectFailsClosed(
      {
        ...env(),
        REDIS_USERNAME: USERNAME,
        REDIS_PASSWORD: PASSWORD,
        REDIS_SENTINEL_PASSWORD: WRONG_PASSWORD,
      },
      'REDIS_SENTINEL_PASSWORD (and REDIS_SENTINEL_USERNAME)',
    );
    if (outcome === 'skipped') context.skip();
  });
});

describe.skipIf(!cluster)('Redis Cluster with a password', { timeout: 60_000 }, () => {
  const ports = () => cluster!.startupNodes.map((node) => node.port);

  it('serves with REDIS_PASSWORD, and so does the key CLI', async () => {
    const prefix = `test:${randomUUID()}:`;
    const { gateway, lines } = await gatewayWithLogs({
      REDIS_CLUSTER_NODES: cluster!.nodes,
      REDIS_KEY_PREFIX: prefix,
      REDIS_PASSWORD: CLUSTER_PASSWORD,
    });
    try {
      await expectServesWithRedis(gateway);
      // The subscriber (Cluster.duplicate) connects to one node of the cluster, with the password.
      expect(await busSubscribed(ports(), prefix, { password: CLUSTER_PASSWORD })).toBe(true);

      await expectKeyCliLists(
        gateway,
        { REDIS_CLUSTER_NODES: cluster!.nodes, REDIS_KEY_PREFIX: prefix, REDIS_PASSWORD: CLUSTER_PASSWORD },
        CLUSTER_PASSWORD,
      );
      expect(unreachable(lines)).toEqual([]);
    } finally {
      await gateway.close();
    }
    expect(leaks(lines)).toEqual([]);
  });

  it('fails closed on a wrong password, saying authentication failed once', async (context) => {
    const outcome = await expectFailsClosed(
      { REDIS_CLUSTER_NODES: cluster!.nodes, REDIS_PASSWORD: WRONG_PASSWORD },
      'REDIS_PASSWORD (and REDIS_USERNAME)',
    );
    if (outcome === 'skipped') context.skip();
  });

  it('fails closed without a password (NOAUTH), saying authentication failed once', async (context) => {
    const outcome = await expectFailsClosed(
      { REDIS_CLUSTER_NODES: cluster!.nodes },
      'REDIS_PASSWORD (and REDIS_USERNAME)',
    );
    if (outcome === 'skipped') context.skip();
  });
});
