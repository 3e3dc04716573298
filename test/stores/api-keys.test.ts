/** One contract for every ApiKeyStore (memory, Redis and PostgreSQL). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyStore } from '../../src/keys/stores.js';
import type { ApiKeyRecord } from '../../src/keys/types.js';
import {
  createMemoryApiKeyStore,
  createPostgresApiKeyStore,
  createRedisApiKeyStore,
} from '../../src/stores/index.js';
import { useStorePostgres } from './postgres-client.js';
import { freshPrefix, useStoreRedis } from './redis-client.js';

function record(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    keyId: randomUUID().replace(/-/g, '').slice(0, 16),
    clientId: 'client-a',
    version: 1,
    name: 'ci',
    environment: 'test',
    scopes: ['market:read'],
    plan: 'free',
    hash: 'ab'.repeat(32),
    createdAt: '2026-01-01T00:00:00.000Z',
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
    ...overrides,
  };
}

function contract(name: string, make: () => ApiKeyStore, available = true) {
  // Skipped only where no Redis can be had and REQUIRE_REDIS is unset (test/helpers/redis.ts says so loudly).
  describe.skipIf(!available)(`${name} API key store`, () => {
    it('creates a record once and reads it back equal', async () => {
      const keys = make();
      const r = record({
        scopes: [],
        allowedCidrs: ['10.0.0.0/8'],
        signing: { type: 'ed25519', publicKey: 'AAAA' },
      });
      expect(await keys.create(r)).toBe(true);
      expect(await keys.create({ ...r, name: 'other' })).toBe(false);
      expect(await keys.get(r.keyId)).toEqual(r);
      expect(await keys.get('missing-key-id-00')).toBeNull();
    });

    it('updates only what the patch names, and only existing records', async () => {
      const keys = make();
      const r = record();
      await keys.create(r);
      const updated = await keys.update(r.keyId, {
        revokedAt: '2026-02-01T00:00:00.000Z',
        revokedReason: 'leak',
      });
      expect(updated).toEqual({ ...r, revokedAt: '2026-02-01T00:00:00.000Z', revokedReason: 'leak' });
      expect(await keys.get(r.keyId)).toEqual(updated);
      expect(await keys.update('missing-key-id-00', { name: 'x' })).toBeNull();
      expect(await keys.get('missing-key-id-00')).toBeNull();
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      const keys = make();
      const r = record();
      await keys.create(r);
      const read = await keys.get(r.keyId);
      read!.scopes.push('trade:write');
      r.scopes.push('keys:admin');
      expect((await keys.get(r.keyId))?.scopes).toEqual(['market:read']);
    });

    it('lists the keys of a client, oldest first, and no other client', async () => {
      const keys = make();
      const client = `client-${randomUUID()}`;
      const second = record({ clientId: client, createdAt: '2026-01-02T00:00:00.000Z' });
      const first = record({ clientId: client, createdAt: '2026-01-01T00:00:00.000Z' });
      await keys.create(second);
      await keys.create(first);
      await keys.create(record({ clientId: `other-${randomUUID()}` }));
      expect((await keys.listByClient(client)).map((r) => r.keyId)).toEqual([first.keyId, second.keyId]);
      expect(await keys.listByClient(`nobody-${randomUUID()}`)).toEqual([]);
    });

    it('lists every usable record, and no revoked or expired one (the start-up warm-up)', async () => {
      const keys = make();
      const now = Date.parse('2026-06-01T00:00:00.000Z');
      const usable = record();
      const rotated = record({ supersededBy: 'k2', expiresAt: '2026-06-02T00:00:00.000Z' });
      const revoked = record({ revokedAt: '2026-05-01T00:00:00.000Z' });
      const expired = record({ expiresAt: '2026-05-31T00:00:00.000Z' });
      for (const r of [usable, rotated, revoked, expired]) await keys.create(r);
      const ids = new Set((await keys.listUsable(now)).map((r) => r.keyId));
      expect(ids.has(usable.keyId) && ids.has(rotated.keyId)).toBe(true);
      expect(ids.has(revoked.keyId) || ids.has(expired.keyId)).toBe(false);
    });

    it('records usage: last use overwritten, grace uses added up, unknown keys ignored', async () => {
      const keys = make();
      const r = record();
      await keys.create(r);
      await keys.recordUsage([]);
      await keys.recordUsage([
        { keyId: r.keyId, lastUsedAt: '2026-03-01T00:00:00.000Z', lastUsedIp: '10.1.1.1', graceUses: 2 },
      ]);
      await keys.recordUsage([
        { keyId: r.keyId, lastUsedAt: '2026-03-02T00:00:00.000Z', lastUsedIp: '10.1.1.2', graceUses: 3 },
        {
          keyId: 'missing-key-id-00',
          lastUsedAt: '2026-03-02T00:00:00.000Z',
          lastUsedIp: '10.1.1.2',
          graceUses: 1,
        },
      ]);
      expect(await keys.get(r.keyId)).toMatchObject({
        lastUsedAt: '2026-03-02T00:00:00.000Z',
        lastUsedIp: '10.1.1.2',
        graceUseCount: 5,
      });
      expect(await keys.get('missing-key-id-00')).toBeNull();
    });
  });
}

contract('memory', () => createMemoryApiKeyStore());

const redis = await useStoreRedis();
contract(
  'redis',
  () => createRedisApiKeyStore({ redis: redis!, prefix: freshPrefix() }),
  redis !== undefined,
);

// One migrated schema for the file: records of different tests differ by key id and client.
const database = await useStorePostgres();
contract('postgres', () => createPostgresApiKeyStore(database!), database !== undefined);

describe.skipIf(!database)('postgres API key store', () => {
  it('keeps every time with its milliseconds and a record with every field set', async () => {
    const keys = createPostgresApiKeyStore(database!);
    const r = record({
      expiresAt: '2026-04-01T12:34:56.789Z',
      revokedAt: '2026-03-01T00:00:00.001Z',
      revokedReason: 'rotated away',
      supersededBy: 'abcdefabcdefabcd',
      sunsetAt: '2026-03-02T00:00:00.000Z',
      signing: { type: 'hmac-sha256', encryptedSecret: 'aXY=.dGFn.Y3Q=' },
      lastUsedAt: '2026-02-28T23:59:59.999Z',
      lastUsedIp: '2001:db8::1',
      graceUseCount: 7,
      environment: 'live',
      version: 3,
    });
    expect(await keys.create(r)).toBe(true);
    expect(await keys.get(r.keyId)).toEqual(r);
    expect(await keys.update(r.keyId, {})).toEqual(r);
  });

  it('refuses to change the key id or client through an update; the hash moves (a re-hash to a newer pepper)', async () => {
    const keys = createPostgresApiKeyStore(database!);
    const r = record();
    await keys.create(r);
    const hash = `v2:${'cd'.repeat(32)}`;
    const patch = { hash, clientId: 'mallory', keyId: 'other', name: 'renamed' } as Partial<ApiKeyRecord>;
    expect(await keys.update(r.keyId, patch)).toEqual({ ...r, name: 'renamed', hash });
  });
});

describe('redis API key store', () => {
  it.skipIf(!redis)('keeps records of one prefix apart from another', async () => {
    const a = createRedisApiKeyStore({ redis: redis!, prefix: freshPrefix() });
    const b = createRedisApiKeyStore({ redis: redis!, prefix: freshPrefix() });
    const r = record();
    expect(await a.create(r)).toBe(true);
    expect(await b.get(r.keyId)).toBeNull();
    expect(await b.listByClient(r.clientId)).toEqual([]);
    expect(await b.create(r)).toBe(true);
  });
});
