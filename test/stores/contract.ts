/** One contract for every ApiKeyStore and AuditLog implementation (memory and Redis). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../src/keys/types.js';
import type { ApiKeyStore, AuditLog, NonceStore } from '../../src/stores/types.js';

export function record(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
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

export function runStoreContract(
  name: string,
  make: () => Promise<{ keys: ApiKeyStore; audit: AuditLog; nonces: NonceStore }>,
  available = true,
) {
  // Skipped only where no Redis can be had and REQUIRE_REDIS is unset (test/helpers/redis.ts says so loudly).
  describe.skipIf(!available)(`${name} stores`, () => {
    const setup = async () => {
      const made = await make();
      if (!made) throw new Error('store unavailable');
      return made;
    };

    it('creates a record once and reads it back equal', async () => {
      const { keys } = await setup();
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
      const { keys } = await setup();
      const r = record();
      await keys.create(r);
      const updated = await keys.update(r.keyId, {
        revokedAt: '2026-02-01T00:00:00.000Z',
        revokedReason: 'leak',
      });
      expect(updated).toEqual({ ...r, revokedAt: '2026-02-01T00:00:00.000Z', revokedReason: 'leak' });
      expect(await keys.update('missing-key-id-00', { name: 'x' })).toBeNull();
      expect(await keys.get('missing-key-id-00')).toBeNull();
    });

    it('lists the keys of a client, oldest first, and no other client', async () => {
      const { keys } = await setup();
      const client = `client-${randomUUID()}`;
      const second = record({ clientId: client, createdAt: '2026-01-02T00:00:00.000Z' });
      const first = record({ clientId: client, createdAt: '2026-01-01T00:00:00.000Z' });
      await keys.create(second);
      await keys.create(first);
      await keys.create(record({ clientId: `other-${randomUUID()}` }));
      expect((await keys.listByClient(client)).map((r) => r.keyId)).toEqual([first.keyId, second.keyId]);
      expect(await keys.listByClient(`nobody-${randomUUID()}`)).toEqual([]);
    });

    it('records usage: last use overwritten, grace uses added up, unknown keys ignored', async () => {
      const { keys } = await setup();
      const r = record();
      await keys.create(r);
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

    it('keeps audit events in order and returns the newest first', async () => {
      const { audit } = await setup();
      const marker = randomUUID();
      for (let i = 0; i < 3; i++)
        await audit.append({
          type: 'key.created',
          at: `2026-01-0${i + 1}T00:00:00.000Z`,
          keyId: `${marker}-${i}`,
        });
      const recent = await audit.recent(3);
      expect(recent.map((e) => e.keyId)).toEqual([`${marker}-2`, `${marker}-1`, `${marker}-0`]);
    });

    it('accepts a nonce once per key, and the same nonce for another key', async () => {
      const { nonces } = await setup();
      const nonce = randomUUID();
      expect(await nonces.claim('key-a', nonce, 30)).toBe(true);
      expect(await nonces.claim('key-a', nonce, 30)).toBe(false);
      expect(await nonces.claim('key-b', nonce, 30)).toBe(true);
    });

    it('accepts exactly one of many concurrent claims of one nonce', async () => {
      const { nonces } = await setup();
      const nonce = randomUUID();
      const results = await Promise.all(Array.from({ length: 50 }, () => nonces.claim('key-c', nonce, 30)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('forgets a nonce after its time to live', async () => {
      const { nonces } = await setup();
      const nonce = randomUUID();
      expect(await nonces.claim('key-d', nonce, 1)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await nonces.claim('key-d', nonce, 1)).toBe(true);
    });
  });
}
