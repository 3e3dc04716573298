/**
 * Issue 10, findings 1, 5 and 6: self-service never widens. Attempts by a `keys:self` key, signed
 * (RFC 9421) and sent over HTTP to two instances sharing one Redis; every outcome is checked on the
 * instance that did not take the request.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519SigningKey, type SigningKey } from '../../src/client/sign.js';
import type { CreateKeyInput } from '../../src/keys/service.js';
import { type GraphQLReply, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { useTestRedis } from '../helpers/redis.js';

const redis = await useTestRedis();
const DAY = 86_400_000;

const CREATE = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id clientId scopes allowedCidrs expiresAt plan } }
}`;
const ROTATE = `mutation($keyId: ID!, $grace: Int) {
  rotateApiKey(keyId: $keyId, graceSeconds: $grace) { key apiKey { id version scopes allowedCidrs expiresAt plan } }
}`;
const REVOKE = `mutation($keyId: ID!) { revokeApiKey(keyId: $keyId, reason: "self-service test") { id status } }`;
const LIST = `query($clientId: ID!) { apiKeys(clientId: $clientId) { id scopes allowedCidrs expiresAt plan status } }`;
const MARKET = '{ token(id: "bitcoin") { symbol } }';

interface Created {
  key: string;
  apiKey: {
    id: string;
    scopes: string[];
    allowedCidrs: string[] | null;
    expiresAt: string | null;
    plan: string;
  };
}

const codeOf = (reply: GraphQLReply) => reply.body.errors?.[0]?.extensions?.code;

// Skipped only where no Redis can be had and REQUIRE_REDIS is unset (the helper says so loudly).
describe.skipIf(!redis)('self-service never widens (two instances, one Redis)', () => {
  let a: TestGateway;
  let b: TestGateway;
  let clients = 0;
  const nextClient = () => `partner-${++clients}`;

  beforeAll(async () => {
    const env = { REDIS_URL: redis!.url, REDIS_KEY_PREFIX: `test:${randomUUID()}:` };
    [a, b] = await Promise.all([startTestGateway({ env }), startTestGateway({ env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  /** A key made by the operator (no bound), on instance A's service. */
  const operatorKey = async (clientId: string, input: Omit<CreateKeyInput, 'clientId' | 'name'>) =>
    a.running.keys.create({ clientId, name: 'operator-made', ...input }, 'test');

  /** A key that can sign its mutations, and the options that make gateway.signed use it. */
  const signer = async (clientId: string, input: Omit<CreateKeyInput, 'clientId' | 'name' | 'signing'>) => {
    const pair = generateKeyPairSync('ed25519');
    const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const created = await operatorKey(clientId, { ...input, signing: { type: 'ed25519', publicKey } });
    const as = (keyId: string, apiKey: string): { apiKey: string; signingKey: SigningKey } => ({
      apiKey,
      signingKey: ed25519SigningKey(keyId, pair.privateKey),
    });
    return { ...created, as: as(created.record.keyId, created.key), asRotated: as };
  };

  /** Whether a key authenticates on a gateway (a bad, revoked or expired key is a 401 whatever the query). */
  const authenticates = async (gateway: TestGateway, key: string) => {
    const reply = await gateway.graphql(MARKET, {}, { 'x-api-key': key });
    return reply.status === 200 && reply.body.errors === undefined;
  };

  /** The code a key is refused with on a gateway, waiting out the pushed invalidation (< 1 s). */
  const refusedWith = async (gateway: TestGateway, key: string) => {
    const started = Date.now();
    for (;;) {
      const reply = await gateway.graphql(MARKET, {}, { 'x-api-key': key });
      if (reply.status === 401 || Date.now() - started > 1500) return codeOf(reply);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const listOn = async (gateway: TestGateway, clientId: string, as: { apiKey: string }) => {
    const reply = await gateway.graphql(LIST, { clientId }, { 'x-api-key': as.apiKey });
    expect(reply.body.errors).toBeUndefined();
    return reply.body.data?.apiKeys as Created['apiKey'][];
  };

  describe('finding 1: a market:read keys:self key against the trade:write key of its client', () => {
    it('refuses rotating it (graceSeconds 0) with FORBIDDEN on either instance; the owner keeps trading', async () => {
      const clientId = nextClient();
      const owner = await operatorKey(clientId, {
        scopes: ['market:read', 'trade:write'],
        allowedCidrs: ['127.0.0.0/8'],
      });
      const self = await signer(clientId, { scopes: ['market:read', 'keys:self'] });
      for (const gateway of [a, b]) {
        const reply = await gateway.signed(ROTATE, { keyId: owner.record.keyId, grace: 0 }, self.as);
        expect(codeOf(reply)).toBe('FORBIDDEN');
        expect(reply.body.data?.rotateApiKey ?? null).toBeNull();
        expect(JSON.stringify(reply.body)).not.toMatch(/sy_test_/);
      }
      expect(await b.running.keys.get(owner.record.keyId)).toMatchObject({
        supersededBy: null,
        expiresAt: null,
        revokedAt: null,
      });
      expect(await authenticates(b, owner.key)).toBe(true);
      expect((await b.graphql(MARKET, {}, { 'x-api-key': owner.key })).headers.get('sunset')).toBeNull();
      expect((await listOn(b, clientId, self.as)).map((k) => k.id).sort()).toEqual(
        [owner.record.keyId, self.record.keyId].sort(),
      );
      const audit = await b.running.keys.recentAudit(50);
      expect(audit).toContainEqual(
        expect.objectContaining({ type: 'key.refused', code: 'FORBIDDEN', keyId: owner.record.keyId }),
      );
    });

    it('refuses revoking it with FORBIDDEN on either instance; the owner key still authenticates', async () => {
      const clientId = nextClient();
      const owner = await operatorKey(clientId, {
        scopes: ['market:read', 'trade:write'],
        expiresAt: new Date(Date.now() + 30 * DAY),
      });
      const self = await signer(clientId, { scopes: ['market:read', 'keys:self'] });
      for (const gateway of [a, b]) {
        const reply = await gateway.signed(REVOKE, { keyId: owner.record.keyId }, self.as);
        expect(codeOf(reply)).toBe('FORBIDDEN');
      }
      expect(await b.running.keys.get(owner.record.keyId)).toMatchObject({ revokedAt: null });
      expect(await authenticates(a, owner.key)).toBe(true);
      expect(await authenticates(b, owner.key)).toBe(true);
    });

    it.each([
      ['more scopes', { scopes: ['market:read', 'portfolio:read'] }],
      ['no allowlist where the actor has one', { allowedCidrs: null }],
      ['a broader allowlist', { allowedCidrs: ['127.0.0.0/7'] }],
      ['no expiry where the actor has one', { expiresAt: null }],
      ['a later expiry', { expiresAt: new Date(Date.now() + 8 * DAY) }],
      ['another plan', { plan: 'pro' }],
    ])('refuses rotating or revoking a key stronger by %s alone', async (_, stronger) => {
      const clientId = nextClient();
      const self = await signer(clientId, {
        scopes: ['market:read', 'keys:self'],
        allowedCidrs: ['127.0.0.0/8'],
        expiresAt: new Date(Date.now() + 7 * DAY),
      });
      const weaker = {
        scopes: ['market:read'],
        allowedCidrs: ['127.0.0.1'],
        expiresAt: new Date(Date.now() + DAY),
      };
      const target = await operatorKey(clientId, { ...weaker, ...stronger });
      expect(codeOf(await a.signed(ROTATE, { keyId: target.record.keyId, grace: 0 }, self.as))).toBe(
        'FORBIDDEN',
      );
      expect(codeOf(await b.signed(REVOKE, { keyId: target.record.keyId }, self.as))).toBe('FORBIDDEN');
      expect(await authenticates(b, target.key)).toBe(true);
    });

    it('answers NOT_FOUND alike for another client’s key and an unknown key', async () => {
      const self = await signer(nextClient(), { scopes: ['market:read', 'keys:self'] });
      const foreign = await operatorKey(nextClient(), { scopes: ['market:read'] });
      for (const keyId of [foreign.record.keyId, 'AAAAAAAAAAAAAAAA']) {
        expect(codeOf(await a.signed(ROTATE, { keyId, grace: 0 }, self.as))).toBe('NOT_FOUND');
        expect(codeOf(await b.signed(REVOKE, { keyId }, self.as))).toBe('NOT_FOUND');
      }
      expect(await authenticates(b, foreign.key)).toBe(true);
    });
  });

  describe('finding 5: creation by a keys:self key', () => {
    it('gives omitted fields the actor’s read scopes, allowlist, expiry and plan, as the other instance sees', async () => {
      const clientId = nextClient();
      const expiresAt = new Date(Date.now() + 7 * DAY);
      const self = await signer(clientId, {
        scopes: ['market:read', 'keys:self'],
        allowedCidrs: ['127.0.0.0/8'],
        expiresAt,
      });
      const reply = await a.signed(CREATE, { input: { clientId, name: 'child' } }, self.as);
      expect(reply.body.errors).toBeUndefined();
      const child = reply.body.data?.createApiKey as Created;
      const expected = {
        id: child.apiKey.id,
        scopes: ['market:read'],
        allowedCidrs: ['127.0.0.0/8'],
        expiresAt: expiresAt.toISOString(),
        plan: 'free',
      };
      expect(child.apiKey).toMatchObject(expected);
      expect((await listOn(b, clientId, self.as)).find((k) => k.id === child.apiKey.id)).toMatchObject(
        expected,
      );
      expect(await authenticates(b, child.key)).toBe(true);
    });

    it('narrows omitted scopes to the read-only defaults even when the actor holds more', async () => {
      const clientId = nextClient();
      const self = await signer(clientId, {
        scopes: ['market:read', 'portfolio:read', 'trade:write', 'keys:self'],
        allowedCidrs: ['127.0.0.0/8'],
      });
      const reply = await b.signed(CREATE, { input: { clientId, name: 'reader' } }, self.as);
      expect(reply.body.errors).toBeUndefined();
      const child = reply.body.data?.createApiKey as Created;
      expect(child.apiKey.scopes).toEqual(['market:read', 'portfolio:read']);
      expect((await a.running.keys.get(child.apiKey.id))?.scopes).toEqual(['market:read', 'portfolio:read']);
    });

    it('asks for explicit scopes (BAD_USER_INPUT) when the actor holds none of the defaults', async () => {
      const clientId = nextClient();
      const self = await signer(clientId, {
        scopes: ['trade:write', 'keys:self'],
        expiresAt: new Date(Date.now() + 30 * DAY),
      });
      const reply = await a.signed(CREATE, { input: { clientId, name: 'x' } }, self.as);
      expect(codeOf(reply)).toBe('BAD_USER_INPUT');
      expect(await listOn(b, clientId, self.as)).toHaveLength(1);
    });

    it.each([
      ['a scope it lacks', { scopes: ['market:read', 'portfolio:read'] }],
      ['trade:write', { scopes: ['trade:write'], allowedCidrs: ['127.0.0.1'] }],
      ['a block outside its allowlist', { allowedCidrs: ['10.0.0.0/8'] }],
      ['a broader block', { allowedCidrs: ['127.0.0.0/7'] }],
      ['a later expiry', { expiresAt: new Date(Date.now() + 8 * DAY).toISOString() }],
      ['a plan', { plan: 'free' }],
    ])('refuses (FORBIDDEN) a key with %s, on either instance', async (_, widened) => {
      const clientId = nextClient();
      const self = await signer(clientId, {
        scopes: ['market:read', 'keys:self'],
        allowedCidrs: ['127.0.0.0/8'],
        expiresAt: new Date(Date.now() + 7 * DAY),
      });
      for (const gateway of [a, b]) {
        const reply = await gateway.signed(
          CREATE,
          { input: { clientId, name: 'wide', ...widened } },
          self.as,
        );
        expect(codeOf(reply)).toBe('FORBIDDEN');
        expect(JSON.stringify(reply.body)).not.toMatch(/sy_test_/);
      }
      expect(await listOn(b, clientId, self.as)).toHaveLength(1);
    });

    it('creates what is no wider: a narrower block, an earlier expiry, a subset of scopes', async () => {
      const clientId = nextClient();
      const self = await signer(clientId, {
        scopes: ['market:read', 'portfolio:read', 'keys:self'],
        allowedCidrs: ['127.0.0.0/8'],
        expiresAt: new Date(Date.now() + 7 * DAY),
      });
      const expiresAt = new Date(Date.now() + DAY).toISOString();
      const input = {
        clientId,
        name: 'narrow',
        scopes: ['portfolio:read'],
        allowedCidrs: ['127.0.0.1'],
        expiresAt,
      };
      const reply = await a.signed(CREATE, { input }, self.as);
      expect(reply.body.errors).toBeUndefined();
      const child = reply.body.data?.createApiKey as Created;
      expect(await b.running.keys.get(child.apiKey.id)).toMatchObject({
        scopes: ['portfolio:read'],
        allowedCidrs: ['127.0.0.1'],
        expiresAt,
      });
      expect(await authenticates(b, child.key)).toBe(true);
    });
  });

  describe('finding 6: an allow-all list is not an allowlist', () => {
    it.each([
      [['0.0.0.0/0', '::/0']],
      [['0.0.0.0/0']],
      [['::/0']],
      [['::ffff:0:0/96']],
      [['0.0.0.0/1', '128.0.0.0/1']],
    ])(
      'refuses trade:write with %j and no expiry (BAD_USER_INPUT), even for keys:admin',
      async (allowedCidrs) => {
        const admin = await signer(`ops-${randomUUID()}`, { scopes: ['keys:admin'] });
        const clientId = nextClient();
        const input = { clientId, name: 'trader', scopes: ['trade:write'], allowedCidrs };
        const reply = await a.signed(CREATE, { input }, admin.as);
        expect(codeOf(reply)).toBe('BAD_USER_INPUT');
        expect(reply.body.errors?.[0]?.message).toMatch(/not an allowlist/);
        expect(await b.running.keys.list(clientId)).toEqual([]);
      },
    );

    it('refuses a trade:write key whose list is broad but not quite everything, unless it expires within 90 days', async () => {
      const admin = await signer(`ops-${randomUUID()}`, { scopes: ['keys:admin'] });
      const clientId = nextClient();
      const broad = ['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/3'];
      const input = { clientId, name: 'trader', scopes: ['trade:write'], allowedCidrs: broad };
      expect(codeOf(await a.signed(CREATE, { input }, admin.as))).toBe('BAD_USER_INPUT');
      const expiresAt = new Date(Date.now() + 30 * DAY).toISOString();
      const reply = await b.signed(CREATE, { input: { ...input, expiresAt } }, admin.as);
      expect(reply.body.errors).toBeUndefined();
      expect(await a.running.keys.list(clientId)).toHaveLength(1);
    });
  });

  describe('what keys:self may still do', () => {
    it('rotates and revokes a weaker key of its client; the other instance follows', async () => {
      const clientId = nextClient();
      const self = await signer(clientId, {
        scopes: ['market:read', 'portfolio:read', 'keys:self'],
        expiresAt: new Date(Date.now() + 7 * DAY),
      });
      const weak = await operatorKey(clientId, {
        scopes: ['market:read'],
        expiresAt: new Date(Date.now() + 3 * DAY),
      });
      expect(await authenticates(b, weak.key)).toBe(true); // cached on B before the rotation
      const rotated = await a.signed(ROTATE, { keyId: weak.record.keyId, grace: 0 }, self.as);
      expect(rotated.body.errors).toBeUndefined();
      const next = rotated.body.data?.rotateApiKey as Created & { apiKey: { version: number } };
      expect(next.apiKey).toMatchObject({ version: 2, scopes: ['market:read'] });
      expect(await refusedWith(b, weak.key)).toBe('KEY_EXPIRED');
      expect(await authenticates(b, next.key)).toBe(true);

      const revoked = await b.signed(REVOKE, { keyId: next.apiKey.id }, self.as);
      expect(revoked.body.data?.revokeApiKey).toEqual({ id: next.apiKey.id, status: 'REVOKED' });
      expect(await refusedWith(a, next.key)).toBe('KEY_REVOKED');
    });

    it('rotates its own key without extending its life, then the new key revokes the old one', async () => {
      const clientId = nextClient();
      const expiresAt = new Date(Date.now() + 7 * DAY);
      const self = await signer(clientId, { scopes: ['market:read', 'keys:self'], expiresAt });
      await new Promise((resolve) => setTimeout(resolve, 20)); // the copy's computed expiry would be later
      const rotated = await a.signed(ROTATE, { keyId: self.record.keyId, grace: 600 }, self.as);
      expect(rotated.body.errors).toBeUndefined();
      const next = rotated.body.data?.rotateApiKey as Created;
      expect(next.apiKey.expiresAt).toBe(expiresAt.toISOString());
      expect(await b.running.keys.get(next.apiKey.id)).toMatchObject({ expiresAt: expiresAt.toISOString() });

      const asNext = self.asRotated(next.apiKey.id, next.key);
      const revoked = await b.signed(REVOKE, { keyId: self.record.keyId }, asNext);
      expect(revoked.body.data?.revokeApiKey).toEqual({ id: self.record.keyId, status: 'REVOKED' });
      expect(await refusedWith(a, self.key)).toBe('KEY_REVOKED');
      expect(await authenticates(a, next.key)).toBe(true);
    });
  });
});
