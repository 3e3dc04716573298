/**
 * Rotating the key-encryption key on running gateways, as the README's procedure does it: the new
 * version added second on every instance, then first, `npm run keys -- rewrap`, then the old one
 * removed. Linked exchange keys, API-key signing secrets and API-key hashes all survive each step,
 * on PostgreSQL shared by the instances.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSandbox } from '../../sources/exchange/sandbox/server.js';
import type { SigningKey } from '../../src/client/sign.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type TestPostgres, useTestPostgres } from '../helpers/postgres.js';

const OLD = `v1:${randomBytes(32).toString('base64')}`;
const NEW = `v2:${randomBytes(32).toString('base64')}`;

const LINK = /* GraphQL */ `
  mutation Link($input: LinkExchangeAccountInput!) { linkExchangeAccount(input: $input) { id } }
`;
const BALANCES = /* GraphQL */ `
  query Balances($id: ID!) { exchangeBalances(exchangeAccountId: $id) { free } }
`;

/** `npm run keys -- rewrap --json` as a separate process, with the gateways' variables. */
const rewrap = (env: NodeJS.ProcessEnv) =>
  runCli('keys', ['rewrap', '--json'], { PATH: process.env.PATH, ...env });

describe('key-encryption key rotation on running gateways', () => {
  let database: TestPostgres | null;
  const gateways: TestGateway[] = [];
  let exchangeUrl: string;
  let exchange: ExchangeSandbox;

  /** A gateway on the shared database and exchange, with this keyring. */
  async function gateway(ring: string): Promise<TestGateway> {
    const started = await startTestGateway({
      env: {
        DATABASE_URL: database!.url,
        KEYS_ENCRYPTION_KEY: '',
        KEYS_ENCRYPTION_KEYS: ring,
        EXCHANGE_UNRESTRICTED_KEYS: 'warn',
        ...(exchangeUrl ? { EXCHANGE_URL: exchangeUrl } : {}),
      },
    });
    gateways.push(started);
    return started;
  }

  beforeAll(async () => {
    database = await useTestPostgres();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await database?.drop();
  });

  it('loses no linked key, signing secret or API key from v1 to v2', async ({ skip }) => {
    if (!database) return skip();
    // Before: one instance on v1 alone.
    const a = await gateway(OLD);
    exchange = a.sandboxes.exchange as ExchangeSandbox;
    exchangeUrl = exchange.target;
    const hmacSecret = randomBytes(32);
    const created = await a.running.keys.create(
      {
        clientId: 'user-1',
        name: 'linker',
        scopes: ['portfolio:read', 'exchanges:write'],
        expiresAt: new Date(Date.now() + 3_600_000),
        signing: { type: 'hmac-sha256', secret: hmacSecret.toString('base64') },
      },
      'test',
    );
    const signer: SigningKey = { keyId: created.record.keyId, algorithm: 'hmac-sha256', secret: hmacSecret };
    const link = (g: TestGateway, label: string) => {
      const key = exchange.createKey({ read: true, ipRestricted: true });
      return g.signed(
        LINK,
        { input: { exchange: 'sandbox', label, apiKey: key.apiKey, apiSecret: key.apiSecret } },
        { apiKey: created.key, signingKey: signer },
      );
    };
    const idOf = (reply: Awaited<ReturnType<typeof link>>) => {
      const id = (reply.body.data?.linkExchangeAccount as { id?: string } | undefined)?.id;
      if (!id) throw new Error(JSON.stringify(reply.body));
      return id;
    };
    const ids = [idOf(await link(a, 'made-under-v1'))];
    const readsAll = async (g: TestGateway) => {
      for (const id of ids) {
        const reply = await g.graphql(BALANCES, { id }, { 'x-api-key': created.key });
        expect(reply.body.errors, `${id} on ${g.url}`).toBeUndefined();
      }
    };

    // Step 1: v2 added second on a new instance (v1 still active): both read and link alike.
    const b = await gateway(`${OLD},${NEW}`);
    ids.push(idOf(await link(b, 'made-under-v1-by-b')));
    await readsAll(a);
    await readsAll(b);

    // Step 2: v2 first on another instance beside the one with both: what it seals, b opens.
    const c = await gateway(`${NEW},${OLD}`);
    ids.push(idOf(await link(c, 'made-under-v2')));
    await readsAll(b);
    await readsAll(c);
    const versions = async () =>
      (
        await database!.pool.query<{ v: string }>(
          `SELECT split_part(sealed, '.', 2) AS v FROM exchange_accounts`,
        )
      ).rows
        .map((r) => r.v)
        .sort();
    expect(await versions()).toEqual(['v1', 'v1', 'v2']);

    // Step 3: rewrap while b and c run; the API key is used on c first (its hash moves to v2).
    expect(
      (await c.graphql('{ exchangeAccounts { id } }', {}, { 'x-api-key': created.key })).body.errors,
    ).toBeUndefined();
    const ran = await rewrap({
      DATABASE_URL: database.url,
      KEYS_ENCRYPTION_KEYS: `${NEW},${OLD}`,
      LOG_LEVEL: 'silent',
    });
    expect(ran.code, ran.stderr).toBe(0);
    const report = JSON.parse(ran.stdout) as {
      activeVersion: string;
      apiKeys: { resealed: number; oldHashes: string[] };
      sources: { exchange: { rewrapped: number; current: number; failed: string[] } };
    };
    expect(report.activeVersion).toBe('v2');
    expect(report.sources.exchange).toEqual({ rewrapped: 2, current: 1, failed: [] });
    expect(report.apiKeys.resealed).toBeGreaterThanOrEqual(1); // the linker's HMAC secret
    expect(report.apiKeys.oldHashes).not.toContain(created.record.keyId);
    expect(await versions()).toEqual(['v2', 'v2', 'v2']);
    await readsAll(b);
    await readsAll(c);

    // Step 4: v1 removed. Everything still opens; the linker's key (re-hashed, re-sealed) signs.
    const d = await gateway(NEW);
    await readsAll(d);
    idOf(await link(d, 'after-rotation'));
    const { rows } = await database.pool.query<{ hash: string; signing: { encryptedSecret: string } }>(
      'SELECT hash, signing FROM api_keys WHERE key_id = $1',
      [created.record.keyId],
    );
    expect(rows[0]!.hash).toMatch(/^v2:/);
    expect(rows[0]!.signing.encryptedSecret).toMatch(/^sy1\.v2\./);
  });
});
