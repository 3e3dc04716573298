import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519SigningKey } from '../../src/client/sign.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestIdp, type TestIdp } from '../helpers/idp.js';

const PORTFOLIO = '{ token(id: "bitcoin") { symbol } portfolio(accountId: "acc-1") { accountId } }';

describe('identity at the edge', () => {
  let idp: TestIdp;
  let gateway: TestGateway;
  const logLines: string[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    idp = await startTestIdp();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    gateway = await startTestGateway({
      env: {
        JWT_JWKS_URL: idp.jwksUrl,
        JWT_ISSUER: idp.issuer,
        JWT_AUDIENCE: idp.audience,
        LOG_LEVEL: 'debug',
      },
      logger: pino({ level: 'debug' }, sink),
    });
    secrets.push(...Object.values(gateway.as('user-1')), ...Object.values(gateway.as('user-2')));
  });
  afterAll(async () => {
    await gateway.close();
    await idp.close();
    // Every log line of the whole run, scanned for every secret the run used.
    const log = logLines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(log).not.toContain(secret.slice(-30));
  });

  /** A key that can sign (Ed25519), and the options that make gateway.signed use it. */
  const signingKeyFor = async (clientId: string, scopes: string[]) => {
    const pair = generateKeyPairSync('ed25519');
    const created = await gateway.running.keys.create(
      {
        clientId,
        name: 'signer',
        scopes,
        signing: {
          type: 'ed25519',
          publicKey: pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        },
      },
      'test',
    );
    secrets.push(created.key);
    return {
      ...created,
      as: { apiKey: created.key, signingKey: ed25519SigningKey(created.record.keyId, pair.privateKey) },
    };
  };

  const bearer = async (claims: Record<string, unknown> = {}) => {
    const token = await idp.token(claims);
    secrets.push(token);
    return { authorization: `Bearer ${token}` };
  };

  it('serves a JWT principal its own portfolio', async () => {
    const reply = await gateway.graphql(PORTFOLIO, {}, await bearer());
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data).toEqual({ token: { symbol: 'BTC' }, portfolio: { accountId: 'acc-1' } });
  });

  it.each([
    ['an expired token', () => bearer({ exp: Math.floor(Date.now() / 1000) - 120 })],
    ['a token of another issuer', () => bearer({ iss: 'https://evil.test/' })],
    ['a malformed Authorization header', async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
    ['a key and a token at once', async () => ({ ...(await bearer()), ...gateway.as('user-1') })],
  ])('refuses %s with 401 and a WWW-Authenticate challenge', async (_, headers) => {
    const reply = await gateway.graphql(PORTFOLIO, {}, await headers());
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toMatch(/Bearer realm="switchyard"/);
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(reply.body.data ?? null).toBeNull();
  });

  it('gives market:read only market data, and FORBIDDEN with a path for the portfolio', async () => {
    const reply = await gateway.graphql(PORTFOLIO, {}, await bearer({ scope: 'market:read' }));
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ token: { symbol: 'BTC' }, portfolio: null });
    expect(reply.body.errors).toHaveLength(1);
    expect(reply.body.errors?.[0]).toMatchObject({ path: ['portfolio'], extensions: { code: 'FORBIDDEN' } });
  });

  it("refuses another user's portfolio even with every scope", async () => {
    const everything = 'market:read portfolio:read trade:write keys:admin keys:self schema:introspect';
    const reply = await gateway.graphql(PORTFOLIO, {}, await bearer({ sub: 'user-2', scope: everything }));
    expect(reply.body.data?.portfolio).toBeNull();
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('answers anonymous callers public data and UNAUTHENTICATED for account fields', async () => {
    const reply = await gateway.graphql(PORTFOLIO, {}, {});
    expect(reply.body.data).toEqual({ token: { symbol: 'BTC' }, portfolio: null });
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a key used from outside its IP allowlist with 403 IP_NOT_ALLOWED', async () => {
    const { key } = await gateway.running.keys.create(
      { clientId: 'user-1', name: 'office only', allowedCidrs: ['10.0.0.0/8'] },
      'test',
    );
    secrets.push(key);
    const reply = await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': key });
    expect(reply.status).toBe(403);
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('IP_NOT_ALLOWED');
  });

  describe('key lifecycle through the admin operations', () => {
    const ROTATE = `mutation($keyId: ID!, $grace: Int) { rotateApiKey(keyId: $keyId, graceSeconds: $grace) { key apiKey { id version status } } }`;

    it('rotates with a grace window: both keys work, the old one with Deprecation and Sunset, then KEY_EXPIRED', async () => {
      const admin = await signingKeyFor('ops', ['keys:admin']);
      const bot = await gateway.running.keys.create(
        { clientId: 'user-1', name: 'bot', scopes: ['market:read', 'portfolio:read'] },
        'test',
      );
      secrets.push(admin.key, bot.key);
      const rotated = await gateway.signed(ROTATE, { keyId: bot.record.keyId, grace: 2 }, admin.as);
      expect(rotated.body.errors).toBeUndefined();
      const next = rotated.body.data?.rotateApiKey as {
        key: string;
        apiKey: { id: string; version: number; status: string };
      };
      secrets.push(next.key);
      expect(next.apiKey).toMatchObject({ version: 2, status: 'ACTIVE' });

      await new Promise((resolve) => setTimeout(resolve, 1050)); // past the instance's 1 s record cache
      const old = await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': bot.key });
      expect(old.body.data?.portfolio).toEqual({ accountId: 'acc-1' });
      expect(old.headers.get('sunset')).toMatch(/GMT$/);
      expect(old.headers.get('deprecation')).toMatch(/^@\d+$/);
      expect(
        (old.body as { extensions?: { warnings?: { code: string }[] } }).extensions?.warnings?.[0]?.code,
      ).toBe('KEY_DEPRECATED');
      const fresh = await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': next.key });
      expect(fresh.body.data?.portfolio).toEqual({ accountId: 'acc-1' });
      expect(fresh.headers.get('sunset')).toBeNull();

      await new Promise((resolve) => setTimeout(resolve, 2100));
      const expired = await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': bot.key });
      expect(expired.status).toBe(401);
      expect(expired.body.errors?.[0]?.extensions?.code).toBe('KEY_EXPIRED');
      expect((await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': next.key })).body.data?.portfolio).toEqual({
        accountId: 'acc-1',
      });

      const audit = await gateway.graphql(
        '{ apiKeyAudit(limit: 50) { type keyId code } }',
        {},
        { 'x-api-key': admin.key },
      );
      const events = audit.body.data?.apiKeyAudit as {
        type: string;
        keyId: string | null;
        code: string | null;
      }[];
      expect(events).toContainEqual({ type: 'key.rotated', keyId: bot.record.keyId, code: null });
      expect(events).toContainEqual({ type: 'key.refused', keyId: bot.record.keyId, code: 'KEY_EXPIRED' });
      expect(events.filter((e) => e.type === 'key.created').length).toBeGreaterThanOrEqual(3);
      const keysList = await gateway.graphql(
        `{ apiKeys(clientId: "user-1") { id status graceUseCount } }`,
        {},
        { 'x-api-key': admin.key },
      );
      expect(keysList.body.data?.apiKeys).toContainEqual(
        expect.objectContaining({ id: bot.record.keyId, status: 'EXPIRED' }),
      );
    });

    it('lets keys:self manage only its own client, without granting scopes it lacks', async () => {
      const self = await signingKeyFor('user-2', ['market:read', 'keys:self']);
      secrets.push(self.key);
      const headers = { 'x-api-key': self.key };
      const other = await gateway.graphql(`{ apiKeys(clientId: "user-1") { id } }`, {}, headers);
      expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const escalate = await gateway.signed(
        `mutation { createApiKey(input: { clientId: "user-2", name: "x", scopes: ["trade:write"] }) { key } }`,
        {},
        self.as,
      );
      expect(escalate.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const own = await gateway.signed(
        `mutation { createApiKey(input: { clientId: "user-2", name: "reader", scopes: ["market:read"] }) { key apiKey { clientId scopes status } } }`,
        {},
        self.as,
      );
      const created = own.body.data?.createApiKey as { key: string; apiKey: unknown };
      secrets.push(created.key);
      expect(created.apiKey).toEqual({ clientId: 'user-2', scopes: ['market:read'], status: 'ACTIVE' });
      const revoked = await gateway.signed(
        `mutation($id: ID!) { revokeApiKey(keyId: $id, reason: "test") { status } }`,
        { id: created.key.split('_')[2] },
        self.as,
      );
      expect(revoked.body.data?.revokeApiKey).toEqual({ status: 'REVOKED' });
      const refused = await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': created.key });
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('KEY_REVOKED');
    });
  });
});

describe('an IdP that rotates its keys right after the gateway started', () => {
  it('has the new key accepted at once, not after the unknown-kid cooldown', async () => {
    const idp = await startTestIdp();
    const gateway = await startTestGateway({
      env: { JWT_JWKS_URL: idp.jwksUrl, JWT_ISSUER: idp.issuer, JWT_AUDIENCE: idp.audience },
    });
    try {
      const as = async (kid?: string) => ({
        authorization: `Bearer ${await idp.token({}, kid ? { kid } : {})}`,
      });
      // The first token fetches the key set (the start-up fetch).
      const first = await gateway.graphql(PORTFOLIO, {}, await as());
      expect(first.body.errors).toBeUndefined();
      const kid = await idp.rotate();
      const started = performance.now();
      const rotated = await gateway.graphql(PORTFOLIO, {}, await as(kid));
      expect(rotated.status).toBe(200);
      expect(rotated.body.errors).toBeUndefined();
      expect(rotated.body.data?.portfolio).toEqual({ accountId: 'acc-1' });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(idp.fetches()).toBe(2);
    } finally {
      await gateway.close();
      await idp.close();
    }
  });
});
