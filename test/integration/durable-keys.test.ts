/**
 * PostgreSQL as the system of record for API keys and the audit trail (issue 17): Redis restarted
 * empty costs nothing but counters and cache; PostgreSQL unreachable leaves known keys working from
 * the key cache and refuses unknown ones (503), never accepting one unchecked.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { checksum, generateApiKey } from '../../src/auth/api-key-format.js';
import { createKeyCrypto, parseEncryptionKey } from '../../src/keys/crypto.js';
import { createKeyService } from '../../src/keys/service.js';
import type { ApiKeyStore } from '../../src/keys/stores.js';
import { createMemoryApiKeyStore, createMemoryAuditLog, verifyAuditChain } from '../../src/stores/index.js';
import { startTestGateway, TEST_ENCRYPTION_KEY, type TestGateway } from '../helpers/gateway.js';
import {
  baseDatabaseUrl,
  type PostgresOutage,
  startPostgresHop,
  useTestPostgres,
} from '../helpers/postgres.js';
import { useTestRedis } from '../helpers/redis.js';

const QUERY = '{ portfolio(accountId: "acc-1") { accountId } }';
const postgres = await useTestPostgres();
const redis = await useTestRedis({ private: true });
const gateways: TestGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await redis?.stop();
  await postgres?.drop();
});

async function gateway(env: Record<string, string>): Promise<TestGateway> {
  const started = await startTestGateway({ env: { REDIS_KEY_PREFIX: `test:${randomUUID()}:`, ...env } });
  gateways.push(started);
  return started;
}

const codeOf = (reply: Awaited<ReturnType<TestGateway['graphql']>>) =>
  reply.body.errors?.[0]?.extensions?.code ?? null;

/** The same key id with another secret (checksum recomputed): it parses, and must still be refused. */
function forged(key: string): string {
  const body = key.slice(0, -6);
  const last = body.at(-1) === 'a' ? 'b' : 'a';
  const other = `${body.slice(0, -1)}${last}`;
  return `${other}${checksum(other)}`;
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

/**
 * Runs `test` with a schema of its own reached through a hop that can cut or hang PostgreSQL (the
 * shared server keeps running); the keys of other tests never count against the same clients' caps.
 */
async function behindHop(test: (url: string, hop: PostgresOutage) => Promise<void>): Promise<void> {
  const hop = await startPostgresHop(baseDatabaseUrl());
  const own = (await useTestPostgres())!;
  try {
    await test(hop.url(own.url), hop);
  } finally {
    await hop.close();
    await own.drop();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!postgres || !redis)('Redis restarted empty', () => {
  it('loses every key when Redis was their store (the fault as reported)', async () => {
    const flushable = new Redis(redis!.url);
    try {
      const g = await gateway({ REDIS_URL: redis!.url });
      const { key } = await g.running.keys.create({ clientId: 'user-1', name: 'redis-only' }, 'test');
      expect(codeOf(await g.graphql(QUERY, {}, { 'x-api-key': key }))).toBeNull();
      await flushable.flushall();
      await wait(1100); // past the 1 s record cache
      expect(codeOf(await g.graphql(QUERY, {}, { 'x-api-key': key }))).toBe('UNAUTHENTICATED');
    } finally {
      flushable.disconnect();
    }
  });

  it('keeps every key, its revocation and rotation, and a verifying audit chain, with PostgreSQL', async () => {
    const env = { REDIS_URL: redis!.url, DATABASE_URL: postgres!.url };
    const a = await gateway(env);
    const made = await Promise.all(
      ['one', 'two', 'three'].map((name) => a.running.keys.create({ clientId: 'user-1', name }, 'test')),
    );
    const revoked = made[2]!;
    await a.running.keys.revoke(revoked.record.keyId, 'leaked', 'test');
    const rotated = await a.running.keys.rotate(made[1]!.record.keyId, 3600, 'test');
    const live = [made[0]!.key, made[1]!.key, rotated.key];
    for (const key of live) expect(codeOf(await a.graphql(QUERY, {}, { 'x-api-key': key }))).toBeNull();

    const flushable = new Redis(redis!.url);
    await flushable.flushall();
    flushable.disconnect();
    await wait(1100);
    // The instance that was running, and one started after the flush (nothing cached).
    const b = await gateway(env);
    for (const g of [a, b]) {
      for (const key of live) expect(codeOf(await g.graphql(QUERY, {}, { 'x-api-key': key }))).toBeNull();
      expect(codeOf(await g.graphql(QUERY, {}, { 'x-api-key': revoked.key }))).toBe('KEY_REVOKED');
      const grace = await g.graphql(QUERY, {}, { 'x-api-key': made[1]!.key });
      expect(grace.headers.get('deprecation')).not.toBeNull();
    }
    const ours = new Set([...made.map((m) => m.record.keyId), rotated.record.keyId]);
    const trail = (await b.running.keys.recentAudit(100)).filter((e) => e.keyId && ours.has(e.keyId));
    const types = trail.map((e) => e.type);
    expect(types.filter((t) => t === 'key.created')).toHaveLength(3);
    expect(types).toEqual(expect.arrayContaining(['key.revoked', 'key.rotated', 'key.refused']));
    const verdict = await verifyAuditChain(postgres!.pool);
    expect(verdict).toEqual({ ok: true, entries: verdict.entries, head: expect.any(String) });
    expect(verdict.entries).toBeGreaterThanOrEqual(types.length);
  });
});

describe.skipIf(!postgres)('PostgreSQL unreachable', () => {
  it('serves known keys from the cache, refuses unknown ones with 503, accepts nothing unchecked, and recovers', async () => {
    await behindHop(async (url, hop) => {
      const g = await gateway({ DATABASE_URL: url });
      const known = await g.running.keys.create({ clientId: 'user-1', name: 'known' }, 'test');
      const unseen = await g.running.keys.create({ clientId: 'user-2', name: 'unseen' }, 'test');
      const revoked = await g.running.keys.create({ clientId: 'user-1', name: 'revoked' }, 'test');
      await g.running.keys.revoke(revoked.record.keyId, 'leaked', 'test');
      const read = (key: string) => g.graphql(QUERY, {}, { 'x-api-key': key });
      expect(codeOf(await read(known.key))).toBeNull();
      expect(codeOf(await read(revoked.key))).toBe('KEY_REVOKED');

      const before: number[] = [];
      for (let i = 0; i < 20; i++) before.push((await timed(() => read(known.key))).ms);

      await hop.cut();
      await wait(1100); // every cached record is past its 1 s freshness: lookups go to the store
      const during: number[] = [];
      for (let i = 0; i < 20; i++) {
        const { ms, value } = await timed(() => read(known.key));
        expect(value.status).toBe(200);
        expect(value.body.data?.portfolio).toEqual({ accountId: 'acc-1' });
        during.push(ms);
      }
      const unknownReplies = await Promise.all(
        [unseen.key, generateApiKey('test').key].map((key) => timed(() => read(key))),
      );
      for (const { value } of unknownReplies) {
        expect(value.status).toBe(503);
        expect(codeOf(value)).toBe('SERVICE_UNAVAILABLE');
        expect(value.body.data ?? null).toBeNull();
      }
      // The cached record still decides: a wrong secret and a revoked key are refused as before.
      expect(codeOf(await read(forged(known.key)))).toBe('UNAUTHENTICATED');
      expect(codeOf(await read(revoked.key))).toBe('KEY_REVOKED');
      expect(codeOf(await read('sy_test_garbage'))).toBe('UNAUTHENTICATED');

      await hop.restore();
      const restoredAt = performance.now();
      let recoveryMs = Number.POSITIVE_INFINITY;
      while (performance.now() - restoredAt < 10_000) {
        if ((await read(unseen.key)).status === 200) {
          recoveryMs = performance.now() - restoredAt;
          break;
        }
        await wait(10);
      }
      expect(recoveryMs).toBeLessThan(5000);
      console.info(
        `PostgreSQL unreachable: known-key read median ${median(before).toFixed(1)} ms before, ${median(during).toFixed(1)} ms during (max ${Math.max(...during).toFixed(1)}); unknown key 503 in ${unknownReplies.map((r) => r.ms.toFixed(1)).join(', ')} ms; recovery ${recoveryMs.toFixed(0)} ms`,
      );
    });
  }, 30_000);
});

describe.skipIf(!postgres)('an instance started before a PostgreSQL outage', () => {
  it('serves keys it has never seen used, from the cache warmed at start', async () => {
    await behindHop(async (url, hop) => {
      const a = await gateway({ DATABASE_URL: url });
      const made = await a.running.keys.create({ clientId: 'user-1', name: 'made elsewhere' }, 'test');
      const b = await gateway({ DATABASE_URL: url });
      await hop.cut();
      await wait(1100); // past the 1 s freshness: without the warm-up, b would have to ask PostgreSQL
      const reply = await b.graphql(QUERY, {}, { 'x-api-key': made.key });
      expect(reply.status).toBe(200);
      expect(reply.body.data?.portfolio).toEqual({ accountId: 'acc-1' });
      expect(codeOf(await b.graphql(QUERY, {}, { 'x-api-key': forged(made.key) }))).toBe('UNAUTHENTICATED');
    });
  }, 30_000);
});

describe.skipIf(!postgres)('PostgreSQL hung', () => {
  it('costs one connection timeout per probe, not one per request, and refuses unknown keys', async () => {
    await behindHop(async (url, hop) => {
      const g = await gateway({ DATABASE_URL: url });
      const known = await g.running.keys.create({ clientId: 'user-1', name: 'known' }, 'test');
      const unseen = await g.running.keys.create({ clientId: 'user-2', name: 'unseen' }, 'test');
      const read = (key: string) => timed(() => g.graphql(QUERY, {}, { 'x-api-key': key }));
      expect((await read(known.key)).value.status).toBe(200);
      hop.hang();
      await wait(1100);
      const during: number[] = [];
      for (let i = 0; i < 30; i++) {
        const { ms, value } = await read(known.key);
        expect(value.status).toBe(200);
        during.push(ms);
      }
      const unknown = await read(unseen.key);
      expect(unknown.value.status).toBe(503);
      await hop.restore();
      const restoredAt = performance.now();
      let recoveryMs = Number.POSITIVE_INFINITY;
      while (performance.now() - restoredAt < 10_000) {
        if ((await read(unseen.key)).value.status === 200) {
          recoveryMs = performance.now() - restoredAt;
          break;
        }
        await wait(10);
      }
      expect(recoveryMs).toBeLessThan(5000);
      console.info(
        `PostgreSQL hung: known-key reads median ${median(during).toFixed(1)} ms, ${during.filter((ms) => ms > 500).length}/30 over 500 ms (max ${Math.max(...during).toFixed(0)}); unknown key 503 in ${unknown.ms.toFixed(0)} ms; recovery ${recoveryMs.toFixed(0)} ms`,
      );
    });
  }, 30_000);
});

describe('the key cache while its store is unreachable', () => {
  it('lets one lookup at a time probe a failing store, at most once per second', async () => {
    let now = 0;
    let calls = 0;
    let down = false;
    const memory = createMemoryApiKeyStore();
    const store: ApiKeyStore = {
      ...memory,
      get: async (keyId) => {
        calls++;
        if (!down) return memory.get(keyId);
        await wait(50);
        throw new Error('timeout exceeded when trying to connect');
      },
    };
    const keys = createKeyService({
      store,
      audit: createMemoryAuditLog(),
      crypto: createKeyCrypto(parseEncryptionKey(TEST_ENCRYPTION_KEY)),
      logger: pino({ level: 'silent' }),
      environment: 'test',
      now: () => now,
    });
    const { key } = await keys.create({ clientId: 'user-1', name: 'cached' }, 'test');
    const facts = { ip: '127.0.0.1' };
    await keys.authenticate(key, facts);
    down = true;
    now += 2000;
    calls = 0;
    await keys.authenticate(key, facts); // finds the store down
    const wave = await Promise.all(Array.from({ length: 20 }, () => keys.authenticate(key, facts)));
    expect(wave.every((a) => a.principal.clientId === 'user-1')).toBe(true);
    expect(calls).toBe(1);
    now += 1000;
    const [probe, ...others] = [
      keys.authenticate(key, facts),
      keys.authenticate(key, facts),
      keys.authenticate(key, facts),
    ];
    await Promise.all([probe, ...others]);
    expect(calls).toBe(2);
    down = false;
    now += 1000;
    await keys.authenticate(key, facts);
    expect(calls).toBe(3);
  });

  it('serves a record read within the window (10 minutes by default) and refuses it after', async () => {
    let now = Date.parse('2026-01-01T00:00:00.000Z');
    let down = false;
    const memory = createMemoryApiKeyStore();
    const store: ApiKeyStore = {
      ...memory,
      get: (keyId) => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : memory.get(keyId)),
    };
    const keys = createKeyService({
      store,
      audit: createMemoryAuditLog(),
      crypto: createKeyCrypto(parseEncryptionKey(TEST_ENCRYPTION_KEY)),
      logger: pino({ level: 'silent' }),
      environment: 'test',
      now: () => now,
    });
    const { key } = await keys.create({ clientId: 'user-1', name: 'cached' }, 'test');
    const facts = { ip: '127.0.0.1' };
    await keys.authenticate(key, facts);
    down = true;
    now += 9 * 60_000;
    expect((await keys.authenticate(key, facts)).principal.clientId).toBe('user-1');
    now += 61_000;
    await expect(keys.authenticate(key, facts)).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
  });
});
