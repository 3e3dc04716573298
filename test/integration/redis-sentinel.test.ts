/**
 * Redis behind Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_NAME), on real processes: a master, its
 * replica and three sentinels, quorum 2 (test/helpers/redis.ts). Two gateways share them as they
 * would share one REDIS_URL (keys, revocations pushed over pub/sub, nonces); then the master is
 * killed (-9) under load: reads keep answering throughout (DESIGN.md "Failure policy"), signed
 * mutations are refused with 503 only while no master answers, and are accepted again once the
 * sentinels have promoted the replica, without restarting the gateways. A hung master (SIGSTOP:
 * its connections stay open) is left for the promoted replica too (ioredis's failoverDetector).
 * The key CLI finds the master through the sentinels.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { order, PLACE, PORTFOLIO, placed } from '../helpers/fleet.js';
import { startTestGateway, TEST_ENCRYPTION_KEY, type TestGateway } from '../helpers/gateway.js';
import { useTestRedisSentinel } from '../helpers/redis.js';
import { steadyReads } from '../helpers/steady-reads.js';

/** main.ts's ioredis commandTimeout: no read may pay more than one. */
const COMMAND_TIMEOUT_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Reply = Awaited<ReturnType<TestGateway['graphql']>>;
const codeOf = (reply: Reply) => reply.body.errors?.[0]?.extensions?.code;

const sentinel = await useTestRedisSentinel({ sentinels: 3 });

// Skipped only where redis-server is missing and CI/REQUIRE_REDIS is unset (the helper says so loudly).
describe.skipIf(!sentinel)('Redis behind Sentinel', { timeout: 60_000 }, () => {
  const env = {
    REDIS_SENTINELS: sentinel?.sentinels ?? '',
    REDIS_SENTINEL_NAME: sentinel?.name ?? '',
    REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
  };
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    [a, b] = await Promise.all([startTestGateway({ env }), startTestGateway({ env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await sentinel?.stop();
  });

  it('shares keys, revocations and nonces between two gateways through the sentinels', async () => {
    const { key, record } = await a.running.keys.create({ clientId: 'user-1', name: 'sentinel' }, 'test');
    expect((await b.graphql(PORTFOLIO, {}, { 'x-api-key': key })).body.data?.portfolio).toEqual({
      accountId: 'acc-1',
    });
    expect(await revokedWithinMs(a, b, record.keyId, key)).toBeLessThan(1000);

    // One signed request, sent to a then replayed at b (same Host): the nonce is spent everywhere.
    let captured!: { body: string; headers: Record<string, string> };
    const first = await a.signed(PLACE, order(), {
      tamper: (sent) => {
        captured = sent;
        return sent;
      },
    });
    expect(placed(first), JSON.stringify(first.body)).toBe(true);
    const again = await raw(b.url, captured.body, { ...captured.headers, host: new URL(a.url).host });
    expect(again.status).toBe(401);
    expect(codeOf(again)).toBe('REPLAYED_REQUEST');
  });

  it('keeps reads answering through a failover and refuses mutations only while no master answers', async () => {
    const before = await sentinel!.masterPort();
    for (const gateway of [a, b]) expect(placed(await gateway.signed(PLACE, order()))).toBe(true);

    const reads = [steadyReads(a, 20), steadyReads(b, 20)];
    const mutations = mutationLoop([a, b]);
    await sleep(300);
    const killedAt = performance.now();
    await sentinel!.killMaster();
    // Until both gateways placed an order after the last refusal (or 30 s: the test then fails).
    while (performance.now() - killedAt < 30_000 && !mutations.recovered()) await sleep(50);
    await sleep(300);
    const samples = await mutations.stop();
    const [readsA, readsB] = await Promise.all(reads.map((r) => r.stop()));
    const during = [...readsA!, ...readsB!];
    const after = await sentinel!.masterPort();

    const refused = samples.filter((s) => !s.placed);
    const firstRefused = refused[0]?.at ?? Number.NaN;
    const lastRefused = refused.at(-1)?.at ?? Number.NaN;
    const firstBack = samples.find((s) => s.placed && s.at > lastRefused)?.at ?? Number.NaN;
    const readMs = during.map((s) => s.ms).sort((x, y) => x - y);
    console.info('sentinel failover (ms after kill -9 of the master)', {
      master: `${before} -> ${after}`,
      firstRefused: Math.round(firstRefused - killedAt),
      lastRefused: Math.round(lastRefused - killedAt),
      acceptedAgain: Math.round(firstBack - killedAt),
      refusedWindowMs: Math.round(firstBack - firstRefused),
      mutations: {
        sent: samples.length,
        refused: refused.length,
        slowestMs: maxOf(samples.map((s) => s.ms)),
      },
      reads: {
        n: readMs.length,
        median: Math.round(readMs[Math.floor(readMs.length / 2)] ?? 0),
        max: maxOf(readMs),
      },
    });

    expect(after).not.toBe(before);
    // Refused while no master answered, with the policy's code, and fast (fail closed, no hang).
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((s) => s.status !== 503 || s.code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    expect(maxOf(refused.map((s) => s.ms))).toBeLessThan(COMMAND_TIMEOUT_MS + 300);
    // Accepted again after the promotion, by both gateways, without a restart.
    expect(mutations.recovered()).toBe(true);
    // Reads answered, with data, all along, none paying more than one command timeout.
    expect(during.length).toBeGreaterThan(100);
    expect(during.filter((s) => s.status !== 200 || s.symbol !== 'BTC')).toEqual([]);
    expect(maxOf(readMs)).toBeLessThan(COMMAND_TIMEOUT_MS + 400);

    // The invalidation bus's subscriber followed the master: a revocation is still pushed.
    const { key, record } = await a.running.keys.create({ clientId: 'user-1', name: 'after' }, 'test');
    // b may still be in its key lookup's 1 s backoff from the outage (unknown keys: 503 meanwhile).
    expect(await acceptedWithinMs(b, key)).toBeLessThan(1500);
    const revokedMs = await revokedWithinMs(a, b, record.keyId, key);
    console.info('revocation seen by the other gateway after the failover (ms)', Math.round(revokedMs));
    expect(revokedMs).toBeLessThan(500);
  });

  it('leaves a hung master (SIGSTOP) for the promoted replica without waiting for it to come back', async (context) => {
    // A deployment of its own: the one above has no replica left after its failover.
    const hung = await useTestRedisSentinel({ sentinels: 3 });
    if (!hung) return context.skip();
    const gateway = await startTestGateway({
      env: {
        REDIS_SENTINELS: hung.sentinels,
        REDIS_SENTINEL_NAME: hung.name,
        REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
      },
    });
    const before = await hung.masterPort();
    try {
      expect(placed(await gateway.signed(PLACE, order()))).toBe(true);
      const reads = steadyReads(gateway, 20);
      // Connections to a stopped process stay open: only the sentinels can tell the client to move.
      await hung.signalMaster('SIGSTOP', before);
      const stoppedAt = performance.now();
      let promotedAt = Number.NaN;
      let acceptedAt = Number.NaN;
      const refusals: unknown[] = [];
      while (performance.now() - stoppedAt < 15_000) {
        if (Number.isNaN(promotedAt) && (await hung.masterPort()) !== before) promotedAt = performance.now();
        const reply = await gateway.signed(PLACE, order());
        if (placed(reply)) {
          acceptedAt = performance.now();
          break;
        }
        refusals.push(codeOf(reply));
        await sleep(50);
      }
      const during = await reads.stop();
      console.info('hung master (ms after SIGSTOP)', {
        promotedSeenBySentinel1: Math.round(promotedAt - stoppedAt),
        acceptedAgain: Math.round(acceptedAt - stoppedAt),
        reads: { n: during.length, max: maxOf(during.map((r) => r.ms)) },
      });
      // Accepted again on the promoted replica while the old master is still stopped.
      expect(Number.isFinite(acceptedAt)).toBe(true);
      expect(await hung.masterPort()).not.toBe(before);
      expect(refusals.filter((code) => code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
      expect(during.filter((r) => r.status !== 200 || r.symbol !== 'BTC')).toEqual([]);
      expect(maxOf(during.map((r) => r.ms))).toBeLessThan(COMMAND_TIMEOUT_MS + 400);
    } finally {
      await hung.signalMaster('SIGCONT', before);
      await gateway.close();
      await hung.stop();
    }
  });

  it('lets the key CLI find the master through the sentinels (after the failover)', async () => {
    const clientId = `cli-${randomUUID().slice(0, 8)}`;
    const { record } = await a.running.keys.create({ clientId, name: 'listed' }, 'test');
    const { REDIS_URL: _ignored, ...inherited } = process.env;
    const ran = await keysCli(['list', '--client', clientId, '--json'], {
      ...inherited,
      NODE_ENV: 'test',
      KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      API_KEY_ENVIRONMENT: 'test',
      ...env,
    });
    expect(ran.code, ran.stderr).toBe(0);
    const listed = JSON.parse(ran.stdout) as { keyId: string }[];
    expect(listed.map((k) => k.keyId)).toEqual([record.keyId]);
  });
});

/** Polls `gateway` with `key` until a read answers 200; ms taken (∞ after 2 s). */
async function acceptedWithinMs(gateway: TestGateway, key: string) {
  const started = performance.now();
  while (performance.now() - started < 2000) {
    if ((await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': key })).status === 200)
      return performance.now() - started;
    await sleep(50);
  }
  return Number.POSITIVE_INFINITY;
}

/** Revokes `keyId` on `at` and polls `seenBy` until it refuses the key; ms taken (∞ after 2 s). */
async function revokedWithinMs(at: TestGateway, seenBy: TestGateway, keyId: string, key: string) {
  await at.running.keys.revoke(keyId, 'leaked', 'test');
  const revokedAt = performance.now();
  while (performance.now() - revokedAt < 2000) {
    const reply = await seenBy.graphql(PORTFOLIO, {}, { 'x-api-key': key });
    if (codeOf(reply) === 'KEY_REVOKED') return performance.now() - revokedAt;
    await sleep(20);
  }
  return Number.POSITIVE_INFINITY;
}

const maxOf = (values: readonly number[]) => Math.round(Math.max(0, ...values));

interface MutationSample {
  readonly gateway: number;
  /** When it was sent (performance.now()). */
  readonly at: number;
  readonly ms: number;
  readonly status: number;
  readonly code: unknown;
  readonly placed: boolean;
}

/** Signed orders, one at a time, alternating between the gateways, until stopped. */
function mutationLoop(gateways: readonly TestGateway[]) {
  const samples: MutationSample[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const gateway = i % gateways.length;
      const at = performance.now();
      const reply = await gateways[gateway]!.signed(PLACE, order()).catch(
        (): Reply => ({ status: 0, headers: new Headers(), body: {} }),
      );
      samples.push({
        gateway,
        at,
        ms: performance.now() - at,
        status: reply.status,
        code: codeOf(reply),
        placed: placed(reply),
      });
      await sleep(25);
    }
  })();
  return {
    /** Whether, after at least one refusal, every gateway has placed an order since the last one. */
    recovered() {
      const last = samples.findLastIndex((s) => !s.placed);
      if (last < 0) return false;
      const since = samples.slice(last + 1).filter((s) => s.placed);
      return gateways.every((_, gateway) => since.some((s) => s.gateway === gateway));
    },
    async stop(): Promise<MutationSample[]> {
      running = false;
      await done;
      return samples;
    },
  };
}

/** The key CLI behind the sentinels (`npm run keys -- …`). */
const keysCli = (args: readonly string[], env: NodeJS.ProcessEnv) =>
  runCli('keys', args, env, { timeoutMs: 20_000 });

/** Sends raw bytes with chosen headers (Host included), as a replaying attacker would. */
function raw(url: string, body: string, headers: Record<string, string>): Promise<Reply> {
  const all = {
    'content-type': 'application/json',
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: all }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        try {
          resolve({
            status: res.statusCode ?? 0,
            headers: new Headers(res.headers as Record<string, string>),
            body: JSON.parse(text) as Reply['body'],
          });
        } catch {
          reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
