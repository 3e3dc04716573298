import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { checksum, generateApiKey, randomBase62 } from '../../src/auth/api-key-format.js';
import { createKeyCrypto } from '../../src/keys/crypto.js';
import type { KeyBounds } from '../../src/keys/self-service.js';
import { createKeyService, type KeyService } from '../../src/keys/service.js';
import { keyState } from '../../src/keys/state.js';
import type { ApiKeyStore, AuditLog } from '../../src/keys/stores.js';
import {
  createMemoryApiKeyStore,
  createMemoryAuditLog,
  createMemoryInvalidationBus,
  type MemoryInvalidationHub,
} from '../../src/stores/index.js';

const crypto = createKeyCrypto(Buffer.alloc(32, 3));
const facts = { ip: '127.0.0.1', requestId: 'r-1' };
const DAY = 86_400_000;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return String((err as { extensions?: { code?: string } }).extensions?.code ?? (err as Error).message);
  }
  return 'resolved';
}

describe('key service', () => {
  let clock: number;
  let store: ApiKeyStore & { gets: number };
  let audit: AuditLog;
  let keys: KeyService;

  beforeEach(() => {
    clock = Date.parse('2026-06-01T00:00:00.000Z');
    const memory = createMemoryApiKeyStore();
    store = Object.assign(Object.create(null), memory, {
      gets: 0,
      get(keyId: string) {
        store.gets++;
        return memory.get(keyId);
      },
    });
    audit = createMemoryAuditLog();
    keys = createKeyService({
      store,
      audit,
      crypto,
      logger: pino({ level: 'silent' }),
      environment: 'test',
      now: () => clock,
    });
  });

  const create = (overrides: Partial<Parameters<KeyService['create']>[0]> = {}) =>
    keys.create({ clientId: 'acme', name: 'bot', ...overrides }, 'admin');

  it('creates read-only keys by default, stores only a hash, and authenticates them', async () => {
    const { key, record } = await create();
    expect(record.scopes).toEqual(['market:read', 'portfolio:read']);
    expect(JSON.stringify(await store.get(record.keyId))).not.toContain(key.split('_')[3]!.slice(0, 20));
    const auth = await keys.authenticate(key, facts);
    expect(auth.principal).toMatchObject({
      userId: 'acme',
      clientId: 'acme',
      via: 'api-key',
      keyId: record.keyId,
      keyVersion: 1,
    });
    expect(auth.deprecation).toBeNull();
  });

  it('refuses a wrong-checksum key and a live key on a test deployment without touching the store', async () => {
    const { key } = await create();
    const typo = `${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`;
    store.gets = 0;
    expect(await codeOf(keys.authenticate(typo, facts))).toBe('UNAUTHENTICATED');
    expect(await codeOf(keys.authenticate(generateApiKey('live').key, facts))).toBe('UNAUTHENTICATED');
    expect(await codeOf(keys.authenticate('not a key at all', facts))).toBe('UNAUTHENTICATED');
    expect(store.gets).toBe(0);
  });

  it('after a key matched, still refuses another secret for the same key id (the cached digest is of that key only)', async () => {
    const { key, record } = await create();
    expect((await keys.authenticate(key, facts)).principal.keyId).toBe(record.keyId);
    expect((await keys.authenticate(key, facts)).principal.keyId).toBe(record.keyId);
    // Same key id, another secret, a valid checksum: what an attacker who knows the public id tries.
    const body = `sy_test_${record.keyId}_${randomBase62(43)}`;
    const forged = `${body}${checksum(body)}`;
    expect(await codeOf(keys.authenticate(forged, facts))).toBe('UNAUTHENTICATED');
    expect((await keys.authenticate(key, facts)).principal.keyId).toBe(record.keyId);
  });

  it('refuses an unknown key id with UNAUTHENTICATED and audits it', async () => {
    const { key, keyId } = generateApiKey('test');
    expect(await codeOf(keys.authenticate(key, facts))).toBe('UNAUTHENTICATED');
    expect((await audit.recent(1))[0]).toMatchObject({
      type: 'key.refused',
      code: 'UNAUTHENTICATED',
      keyId,
      reason: 'unknown key id',
    });
  });

  it('rotates with a 60 s grace: both keys work, the old one deprecated, then KEY_EXPIRED', async () => {
    const old = await create();
    const rotated = await keys.rotate(old.record.keyId, 60, 'admin');
    expect(rotated.record).toMatchObject({ version: 2, clientId: 'acme', scopes: old.record.scopes });
    clock += 1000; // past the instance cache
    const during = await keys.authenticate(old.key, facts);
    expect(during.deprecation).toEqual({
      sunsetAt: new Date(clock - 1000 + 60_000).toISOString(),
      replacedBy: rotated.record.keyId,
    });
    expect((await keys.authenticate(rotated.key, facts)).principal.keyVersion).toBe(2);
    clock += 60_000;
    expect(await codeOf(keys.authenticate(old.key, facts))).toBe('KEY_EXPIRED');
    expect((await keys.authenticate(rotated.key, facts)).deprecation).toBeNull();
    expect(await codeOf(keys.rotate(old.record.keyId, 60, 'admin'))).toBe('BAD_USER_INPUT');
  });

  it('counts uses in the grace window per key, flushed in one store write', async () => {
    const old = await create();
    await keys.rotate(old.record.keyId, 3600, 'admin');
    clock += 2000;
    for (let i = 0; i < 3; i++) await keys.authenticate(old.key, { ip: '10.0.0.9' });
    await keys.flushUsage();
    expect(await store.get(old.record.keyId)).toMatchObject({ graceUseCount: 3, lastUsedIp: '10.0.0.9' });
  });

  it('revokes at once on this instance and within the cache time elsewhere', async () => {
    const { key, record } = await create();
    await keys.authenticate(key, facts);
    await keys.revoke(record.keyId, 'leaked in a log', 'admin');
    expect(await codeOf(keys.authenticate(key, facts))).toBe('KEY_REVOKED');
  });

  it('revokes every key of a client (incident playbook)', async () => {
    const a = await create();
    const b = await create({ name: 'second' });
    expect(await keys.revokeAll('acme', 'incident 42', 'admin')).toBe(2);
    expect(await codeOf(keys.authenticate(a.key, facts))).toBe('KEY_REVOKED');
    expect(await codeOf(keys.authenticate(b.key, facts))).toBe('KEY_REVOKED');
  });

  it('refuses use from outside the CIDR allowlist with IP_NOT_ALLOWED', async () => {
    const { key } = await create({ allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(await codeOf(keys.authenticate(key, { ip: '10.20.30.40' }))).toBe('resolved');
    expect(await codeOf(keys.authenticate(key, { ip: '2001:db8::5' }))).toBe('resolved');
    expect(await codeOf(keys.authenticate(key, { ip: '203.0.113.5' }))).toBe('IP_NOT_ALLOWED');
    expect((await audit.recent(1))[0]).toMatchObject({ code: 'IP_NOT_ALLOWED', ip: '203.0.113.5' });
  });

  it('expires keys at their expiry', async () => {
    const { key } = await create({ expiresAt: new Date(clock + DAY) });
    clock += DAY;
    expect(await codeOf(keys.authenticate(key, facts))).toBe('KEY_EXPIRED');
  });

  it('requires an IP allowlist or an expiry within 90 days for trade:write', async () => {
    expect(await codeOf(create({ scopes: ['trade:write'] }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(create({ scopes: ['trade:write'], expiresAt: new Date(clock + 91 * DAY) }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(await codeOf(create({ scopes: ['trade:write'], expiresAt: new Date(clock + 90 * DAY) }))).toBe(
      'resolved',
    );
    expect(await codeOf(create({ scopes: ['trade:write'], allowedCidrs: ['192.0.2.0/24'] }))).toBe(
      'resolved',
    );
  });

  it('caps the active keys of a client', async () => {
    for (let i = 0; i < 5; i++) await create({ name: `k${i}` });
    expect(await codeOf(create({ name: 'sixth' }))).toBe('BAD_USER_INPUT');
  });

  it('refuses unknown scopes and bad CIDR blocks', async () => {
    expect(await codeOf(create({ scopes: ['root'] }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(create({ allowedCidrs: ['10.0.0.0/33'] }))).toBe('BAD_USER_INPUT');
  });

  it('keeps HMAC signing secrets encrypted at rest, and opens them again', async () => {
    const secret = Buffer.alloc(32, 9);
    const { record } = await create({ signing: { type: 'hmac-sha256', secret: secret.toString('base64') } });
    const stored = await store.get(record.keyId);
    expect(stored?.signing?.type).toBe('hmac-sha256');
    const sealed = (stored!.signing as { encryptedSecret: string }).encryptedSecret;
    expect(sealed).not.toContain(secret.toString('base64'));
    expect(crypto.open(sealed).equals(secret)).toBe(true);
    expect(() => createKeyCrypto(Buffer.alloc(32, 4)).open(sealed)).toThrow();
  });

  it('audits every lifecycle event without secret material', async () => {
    const { key, record } = await create();
    const rotated = await keys.rotate(record.keyId, 60, 'admin');
    await keys.revoke(rotated.record.keyId, 'done', 'admin');
    await keys.revokeAll('acme', 'incident', 'admin');
    const events = await audit.recent(10);
    expect(events.map((e) => e.type).reverse()).toEqual([
      'key.created',
      'key.rotated',
      'key.revoked',
      'key.revoked_all',
    ]);
    const text = JSON.stringify(events);
    for (const secret of [key, rotated.key]) expect(text).not.toContain(secret.slice(25));
  });

  it('serves a recently cached record while the store is down, then fails closed with SERVICE_UNAVAILABLE', async () => {
    const { key } = await create();
    await keys.authenticate(key, facts);
    store.get = async () => {
      throw new Error('ECONNREFUSED');
    };
    clock += 5000;
    expect(await codeOf(keys.authenticate(key, facts))).toBe('resolved');
    // The window is 10 minutes from the last successful read (README "Durable records").
    clock += 590_000;
    expect(await codeOf(keys.authenticate(key, facts))).toBe('resolved');
    clock += 10_000;
    expect(await codeOf(keys.authenticate(key, facts))).toBe('SERVICE_UNAVAILABLE');
  });

  it.each([
    [['0.0.0.0/0']],
    [['0.0.0.0/0', '::/0']],
    [['::ffff:0:0/96']],
    [['0.0.0.0/1', '128.0.0.0/1']],
    [['2000::/3']],
  ])('refuses the allow-all list %j for any key with BAD_USER_INPUT', async (allowedCidrs) => {
    expect(await codeOf(create({ allowedCidrs }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(create({ scopes: ['trade:write'], allowedCidrs }))).toBe('BAD_USER_INPUT');
  });

  it('does not count a list broader than a /8 (IPv4) or /32 (IPv6) as the allowlist of a trade:write key', async () => {
    const allButOne = Array.from({ length: 32 }, (_, i) => {
      const base = i === 0 ? 0 : 2 ** 32 - 2 ** (32 - i);
      return `${[24, 16, 8, 0].map((s) => (base >>> s) & 255).join('.')}/${i + 1}`;
    });
    for (const allowedCidrs of [allButOne, ['10.0.0.0/8', '11.0.0.0/24'], ['2001:db8::/31']]) {
      expect(await codeOf(create({ scopes: ['trade:write'], allowedCidrs }))).toBe('BAD_USER_INPUT');
      // Accepted as a restriction, with the expiry the policy asks for.
      const expiresAt = new Date(clock + 30 * DAY);
      expect(await codeOf(create({ scopes: ['trade:write'], allowedCidrs, expiresAt }))).toBe('resolved');
      await keys.revokeAll('acme', 'cap', 'admin');
    }
    expect(
      await codeOf(create({ scopes: ['trade:write'], allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'] })),
    ).toBe('resolved');
  });

  describe('within a keys:self bound', () => {
    const bound: KeyBounds = {
      scopes: ['market:read', 'keys:self'],
      allowedCidrs: ['10.0.0.0/8'],
      expiresAt: '2026-06-08T00:00:00.000Z',
      plan: 'free',
    };
    const narrow = {
      scopes: ['market:read'],
      allowedCidrs: ['10.1.0.0/16'],
      expiresAt: new Date('2026-06-05T00:00:00.000Z'),
    };

    it('creates a key no wider than the bound', async () => {
      const { record } = await keys.create({ clientId: 'acme', name: 'ok', ...narrow }, 'self', bound);
      expect(record).toMatchObject({ scopes: ['market:read'], allowedCidrs: ['10.1.0.0/16'], plan: 'free' });
    });

    it.each([
      ['a scope it lacks', { scopes: ['market:read', 'portfolio:read'] }],
      ['no allowlist', { allowedCidrs: null }],
      ['a block outside its allowlist', { allowedCidrs: ['192.0.2.0/24'] }],
      ['no expiry', { expiresAt: null }],
      ['a later expiry', { expiresAt: new Date('2026-06-09T00:00:00.000Z') }],
      ['another plan', { plan: 'pro' }],
    ])('refuses to create a key with %s (FORBIDDEN, audited)', async (_, widened) => {
      const input = { clientId: 'acme', name: 'wide', ...narrow, ...widened };
      expect(await codeOf(keys.create(input, 'self', bound))).toBe('FORBIDDEN');
      expect(await store.listByClient('acme')).toEqual([]);
      expect((await audit.recent(1))[0]).toMatchObject({
        type: 'key.refused',
        code: 'FORBIDDEN',
        actor: 'self',
      });
    });

    it('refuses to rotate or revoke a stronger key, which keeps working unchanged', async () => {
      const strong = await create({ scopes: ['market:read', 'trade:write'], allowedCidrs: ['10.0.0.0/8'] });
      expect(await codeOf(keys.rotate(strong.record.keyId, 0, 'self', bound))).toBe('FORBIDDEN');
      expect(await codeOf(keys.revoke(strong.record.keyId, 'takeover', 'self', bound))).toBe('FORBIDDEN');
      expect(await store.get(strong.record.keyId)).toMatchObject({ supersededBy: null, revokedAt: null });
      expect((await store.listByClient('acme')).length).toBe(1);
      clock += 2000;
      expect((await keys.authenticate(strong.key, { ip: '10.0.0.1' })).deprecation).toBeNull();
    });

    it('rotates a weaker key with its expiry clamped to the bound, and revokes it', async () => {
      const weak = await create({
        scopes: ['market:read'],
        allowedCidrs: ['10.1.0.0/16'],
        expiresAt: new Date(clock + 5 * DAY),
      });
      clock += 4 * DAY;
      const rotated = await keys.rotate(weak.record.keyId, 60, 'self', bound);
      // Its own lifetime would end on day 9; the bound ends on day 7.
      expect(rotated.record.expiresAt).toBe(bound.expiresAt);
      expect(await codeOf(keys.revoke(rotated.record.keyId, 'done', 'self', bound))).toBe('resolved');
    });

    it('rotates without a bound as before: the lifetime carries over', async () => {
      const weak = await create({ expiresAt: new Date(clock + 5 * DAY) });
      clock += 4 * DAY;
      const rotated = await keys.rotate(weak.record.keyId, 60, 'admin');
      expect(rotated.record.expiresAt).toBe(new Date(clock + 5 * DAY).toISOString());
    });
  });

  describe('confirming a leaked key', () => {
    it('returns the record only when the presented key hashes to the stored hash', async () => {
      const { key, record } = await create();
      expect((await keys.confirmLeak(key))?.keyId).toBe(record.keyId);
      // Key ids are public: a checksum-valid string built around one is not the key.
      const body = `sy_test_${record.keyId}_${randomBase62(43)}`;
      const forged = `${body}${checksum(body)}`;
      expect(await keys.confirmLeak(forged)).toBeNull();
      expect(await keys.confirmLeak(generateApiKey('test').key)).toBeNull();
      expect(await keys.confirmLeak(`${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`)).toBeNull();
      expect(await keys.confirmLeak('not a key')).toBeNull();
      expect(await store.get(record.keyId)).toMatchObject({ revokedAt: null });
    });
  });
});

describe('keyState', () => {
  const at = Date.parse('2026-06-01T00:00:00.000Z');
  const later = '2026-06-02T00:00:00.000Z';
  const earlier = '2026-05-31T00:00:00.000Z';
  const key = (state: { revokedAt?: string; expiresAt?: string; supersededBy?: string }) => ({
    revokedAt: null,
    expiresAt: null,
    supersededBy: null,
    ...state,
  });

  it.each([
    ['active', key({})],
    ['active', key({ expiresAt: later })],
    ['grace', key({ supersededBy: 'next', expiresAt: later })],
    ['expired', key({ expiresAt: earlier })],
    ['expired', key({ supersededBy: 'next', expiresAt: earlier })],
    ['expired', key({ expiresAt: new Date(at).toISOString() })],
    ['revoked', key({ revokedAt: earlier, expiresAt: earlier })],
    ['revoked', key({ revokedAt: earlier, supersededBy: 'next', expiresAt: later })],
  ] as const)('is %s for %j', (state, record) => {
    expect(keyState(record, at)).toBe(state);
  });
});

describe('key service instances sharing a store', () => {
  it('revoke on one instance refuses the key on another at once, through the invalidation bus', async () => {
    let clock = Date.parse('2026-06-01T00:00:00.000Z');
    const store = createMemoryApiKeyStore();
    const audit = createMemoryAuditLog();
    const hub: MemoryInvalidationHub = new Set();
    const instance = () =>
      createKeyService({
        store,
        audit,
        crypto,
        logger: pino({ level: 'silent' }),
        environment: 'test',
        invalidations: createMemoryInvalidationBus(hub),
        now: () => clock,
        // Long enough that only the bus can explain a refusal.
        cacheTtlMs: 60_000,
      });
    const [one, two] = [instance(), instance()];
    const { key, record } = await one.create({ clientId: 'acme', name: 'bot' }, 'admin');
    await two.authenticate(key, facts); // cached on two
    await one.revoke(record.keyId, 'leaked', 'admin');
    clock += 1;
    expect(await codeOf(two.authenticate(key, facts))).toBe('KEY_REVOKED');
  });
});
