/**
 * Linked exchange accounts end to end: a real exchange sandbox (HMAC-signed REST with timestamp and
 * recvWindow), the gateway's custody of the keys (refusals with nothing stored, envelopes, use,
 * unlink), over memory and over PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExchangeSandbox } from '../../sources/exchange/sandbox/server.js';
import type { SigningKey } from '../../src/client/sign.js';
import { createSigningKey, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type TestPostgres, useTestPostgres } from '../helpers/postgres.js';

const LINK = /* GraphQL */ `
  mutation Link($input: LinkExchangeAccountInput!) {
    linkExchangeAccount(input: $input) {
      id exchange label keyFingerprint linkedAt lastUsedAt rotationDue status
      permissions { read trade withdraw ipRestricted }
    }
  }
`;
const UNLINK = /* GraphQL */ `
  mutation Unlink($id: ID!) { unlinkExchangeAccount(id: $id) { id status keyFingerprint } }
`;
const ACCOUNTS = /* GraphQL */ `
  { exchangeAccounts { id label keyFingerprint lastUsedAt rotationDue status } }
`;
const BALANCES = /* GraphQL */ `
  query Balances($id: ID!) {
    exchangeBalances(exchangeAccountId: $id) { token { id symbol } free locked valueUsd }
  }
`;

interface Linker {
  apiKey: string;
  signingKey: SigningKey;
}

/** A gateway key of `clientId` that may link exchange accounts (and read them), able to sign. */
async function linker(gateway: TestGateway, clientId: string): Promise<Linker> {
  const scopes = ['market:read', 'portfolio:read', 'exchanges:write'];
  const { key, signingKey } = await createSigningKey(gateway.running, clientId, scopes, { name: 'exchange' });
  return { apiKey: key, signingKey };
}

/** The id of the account a link answered; throws when it did not link. */
function linkedId(reply: { body: { data?: Record<string, unknown> | null } }): string {
  const account = reply.body.data?.linkExchangeAccount as { id?: string } | undefined;
  if (!account?.id) throw new Error(`not linked: ${JSON.stringify(reply.body)}`);
  return account.id;
}

const codesOf = (reply: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) =>
  (reply.body.errors ?? []).map((e) => e.extensions?.code);

describe('linked exchange accounts (memory store)', () => {
  let gateway: TestGateway;
  let exchange: ExchangeSandbox;
  let alice: Linker;
  let bob: Linker;
  const as = (who: Linker) => ({ 'x-api-key': who.apiKey });
  const link = (who: Linker, apiKey: string, apiSecret: string, label = 'main') =>
    gateway.signed(
      LINK,
      { input: { exchange: 'sandbox', label, apiKey, apiSecret } },
      { apiKey: who.apiKey, signingKey: who.signingKey },
    );
  const accounts = async (who: Linker) =>
    (await gateway.graphql(ACCOUNTS, {}, as(who))).body.data?.exchangeAccounts as { id: string }[];

  beforeAll(async () => {
    gateway = await startTestGateway();
    exchange = gateway.sandboxes.exchange as ExchangeSandbox;
    alice = await linker(gateway, 'user-1');
    bob = await linker(gateway, 'user-2');
  });
  afterAll(() => gateway?.close());
  beforeEach(() => gateway.resetSandboxes());

  it('links a read-only, IP-restricted key, reads its balances with prices, and unlinks it', async () => {
    const key = exchange.createKey({ read: true, trade: true, ipRestricted: true });
    const linked = await link(alice, key.apiKey, key.apiSecret);
    expect(linked.body.errors).toBeUndefined();
    const account = linked.body.data?.linkExchangeAccount as Record<string, unknown>;
    expect(account).toMatchObject({
      exchange: 'sandbox',
      label: 'main',
      status: 'ACTIVE',
      rotationDue: false,
      lastUsedAt: null,
      permissions: { read: true, trade: true, withdraw: false, ipRestricted: true },
    });
    expect(account.keyFingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    // Neither the key nor its secret is in any answer.
    expect(JSON.stringify(linked.body)).not.toContain(key.apiSecret);
    expect(JSON.stringify(linked.body)).not.toContain(key.apiKey);

    const balances = await gateway.graphql(BALANCES, { id: account.id }, as(alice));
    expect(balances.body.errors).toBeUndefined();
    const rows = balances.body.data?.exchangeBalances as {
      token: { id: string; symbol: string };
      free: string;
      locked: string;
      valueUsd: string | null;
    }[];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      expect(row.token.symbol).toMatch(/^[A-Z0-9]+$/); // merged from market
      expect(row.free).toMatch(/^\d+\.\d{8}$/);
      expect(row.valueUsd).toMatch(/^\d+\.\d{8}$/);
    }
    const listed = await accounts(alice);
    expect(listed).toEqual([expect.objectContaining({ id: account.id, status: 'ACTIVE' })]);
    expect((listed[0] as unknown as { lastUsedAt: string | null }).lastUsedAt).not.toBeNull();

    const unlinked = await gateway.signed(
      UNLINK,
      { id: account.id },
      { apiKey: alice.apiKey, signingKey: alice.signingKey },
    );
    expect(unlinked.body.data?.unlinkExchangeAccount).toMatchObject({ id: account.id, status: 'UNLINKED' });
    expect(await accounts(alice)).toEqual([]);
    const gone = await gateway.graphql(BALANCES, { id: account.id }, as(alice));
    expect(gone.body.data?.exchangeBalances).toBeNull();
  });

  it('refuses a key that can withdraw, one without IP restriction, and one that does not verify: nothing stored', async () => {
    const powerful = exchange.createKey({ read: true, trade: true, withdraw: true, ipRestricted: true });
    const unrestricted = exchange.createKey({ read: true, ipRestricted: false });
    const good = exchange.createKey({ read: true, ipRestricted: true });
    const elsewhere = exchange.createKey({ read: true, ipRestricted: true, ips: ['10.9.9.9'] });
    const noRead = exchange.createKey({ trade: true, ipRestricted: true });
    const cases = [
      [powerful.apiKey, powerful.apiSecret, 'EXCHANGE_KEY_TOO_POWERFUL'],
      [unrestricted.apiKey, unrestricted.apiSecret, 'EXCHANGE_KEY_UNRESTRICTED'],
      [good.apiKey, 'x'.repeat(64), 'EXCHANGE_KEY_INVALID'],
      ['K'.repeat(64), good.apiSecret, 'EXCHANGE_KEY_INVALID'],
      [elsewhere.apiKey, elsewhere.apiSecret, 'EXCHANGE_KEY_INVALID'],
      [noRead.apiKey, noRead.apiSecret, 'EXCHANGE_KEY_INVALID'],
    ] as const;
    for (const [apiKey, apiSecret, code] of cases) {
      const reply = await link(alice, apiKey, apiSecret, 'refused');
      expect(codesOf(reply)).toEqual([code]);
      expect(reply.body.data).toBeNull();
      expect(JSON.stringify(reply.body)).not.toContain(apiSecret);
    }
    expect(await accounts(alice)).toEqual([]);
  });

  it('keeps each user to their own links: another user cannot read, use or unlink them', async () => {
    const key = exchange.createKey({ read: true, ipRestricted: true });
    const id = linkedId(await link(alice, key.apiKey, key.apiSecret, 'alice'));
    expect(await accounts(bob)).toEqual([]);
    expect((await gateway.graphql(BALANCES, { id }, as(bob))).body.data?.exchangeBalances).toBeNull();
    const stolen = await gateway.signed(UNLINK, { id }, { apiKey: bob.apiKey, signingKey: bob.signingKey });
    expect(codesOf(stolen)).toEqual(['NOT_FOUND']);
    expect(await accounts(alice)).toEqual([expect.objectContaining({ id })]);
    // The same key linked twice by one user is refused; linking needs the scope and a signature.
    expect(codesOf(await link(alice, key.apiKey, key.apiSecret, 'again'))).toEqual(['BAD_USER_INPUT']);
    const unsigned = await gateway.graphql(
      LINK,
      { input: { exchange: 'sandbox', label: 'x', apiKey: key.apiKey, apiSecret: key.apiSecret } },
      as(alice),
    );
    expect(codesOf(unsigned)).toEqual(['SIGNATURE_REQUIRED']);
    const reader = await gateway.signed(
      LINK,
      { input: { exchange: 'sandbox', label: 'x', apiKey: key.apiKey, apiSecret: key.apiSecret } },
      { user: 'user-1' },
    );
    // user-1's test key lacks exchanges:write: its signature cannot cover the field.
    expect(codesOf(reader)).toEqual(['SIGNATURE_INVALID']);
    await gateway.signed(UNLINK, { id }, { apiKey: alice.apiKey, signingKey: alice.signingKey });
  });

  it('makes one balances call per linked account per request, however many fields ask', async () => {
    const ids: string[] = [];
    for (const label of ['one', 'two']) {
      const key = exchange.createKey({ read: true, ipRestricted: true });
      ids.push(linkedId(await link(alice, key.apiKey, key.apiSecret, label)));
    }
    gateway.resetSandboxes();
    const reply = await gateway.graphql(
      /* GraphQL */ `
        query Twice($a: ID!, $b: ID!) {
          a1: exchangeBalances(exchangeAccountId: $a) { free valueUsd }
          a2: exchangeBalances(exchangeAccountId: $a) { locked token { id } }
          ...More
        }
        fragment More on Query { b1: exchangeBalances(exchangeAccountId: $b) { free valueUsd } }
      `,
      { a: ids[0], b: ids[1] },
      as(alice),
    );
    expect(reply.body.errors).toBeUndefined();
    const byRoute = exchange.control.stats.byRoute;
    expect(byRoute['GET /api/v1/account']).toBe(2);
    // Prices: one ticker call per account's rows at most, never one per row.
    expect(byRoute['GET /api/v1/ticker/price']).toBeLessThanOrEqual(2);
    for (const id of ids)
      await gateway.signed(UNLINK, { id }, { apiKey: alice.apiKey, signingKey: alice.signingKey });
  });

  it("resyncs with the exchange's clock once when it refuses the timestamp, and reports a key deleted on the exchange", async () => {
    const key = exchange.createKey({ read: true, ipRestricted: true });
    const id = linkedId(await link(alice, key.apiKey, key.apiSecret, 'clock'));
    exchange.setClockSkew(-30_000); // the exchange's clock is now 30 s behind ours
    try {
      gateway.resetSandboxes();
      const reply = await gateway.graphql(BALANCES, { id }, as(alice));
      expect(reply.body.errors).toBeUndefined();
      const byRoute = exchange.control.stats.byRoute;
      expect(byRoute['GET /api/v1/time']).toBe(1);
      expect(byRoute['GET /api/v1/account']).toBe(2); // refused once, then signed with the exchange's time
    } finally {
      exchange.setClockSkew(0);
    }
    exchange.deleteKey(key.apiKey);
    const refused = await gateway.graphql(BALANCES, { id }, as(alice));
    expect(codesOf(refused)).toEqual(['EXCHANGE_KEY_INVALID']);
    expect(refused.body.errors?.[0]?.extensions?.exchangeAccountId).toBe(id);
    await gateway.signed(UNLINK, { id }, { apiKey: alice.apiKey, signingKey: alice.signingKey });
  });
});

describe('linked exchange accounts (PostgreSQL, the system of record)', () => {
  let database: TestPostgres | null;
  let gateway: TestGateway;
  let exchange: ExchangeSandbox;
  let alice: Linker;

  beforeAll(async () => {
    database = await useTestPostgres();
    if (!database) return;
    gateway = await startTestGateway({
      env: {
        DATABASE_URL: database.url,
        EXCHANGE_UNRESTRICTED_KEYS: 'warn',
        EXCHANGE_KEY_ROTATION_DAYS: '30',
      },
    });
    exchange = gateway.sandboxes.exchange as ExchangeSandbox;
    alice = await linker(gateway, 'user-1');
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('stores only an envelope, bound to its owner: a row moved to another user does not decrypt', async ({
    skip,
  }) => {
    if (!database) return skip();
    const key = exchange.createKey({ read: true, ipRestricted: false });
    const linked = await gateway.signed(
      LINK,
      { input: { exchange: 'sandbox', label: 'warned', apiKey: key.apiKey, apiSecret: key.apiSecret } },
      { apiKey: alice.apiKey, signingKey: alice.signingKey },
    );
    // EXCHANGE_UNRESTRICTED_KEYS=warn: linked, with the code as a warning.
    expect(linked.body.errors).toBeUndefined();
    const warnings = (linked.body as { extensions?: { warnings?: { code: string }[] } }).extensions?.warnings;
    expect(warnings?.map((w) => w.code)).toEqual(['EXCHANGE_KEY_UNRESTRICTED']);
    const id = linkedId(linked);

    const { rows } = await database.pool.query('SELECT * FROM exchange_accounts');
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(key.apiSecret);
    expect(stored).not.toContain(key.apiKey);
    expect(rows[0].sealed).toMatch(/^sy1\.v1\./);

    // Linked 31 days ago: due for rotation (30 days here), with a warning in answers that use it.
    await database.pool.query(`UPDATE exchange_accounts SET linked_at = now() - interval '31 days'`);
    const due = await gateway.graphql(BALANCES, { id }, { 'x-api-key': alice.apiKey });
    expect(due.body.errors).toBeUndefined();
    const dueWarnings = (
      due.body as { extensions?: { warnings?: { code: string; exchangeAccountId: string }[] } }
    ).extensions?.warnings;
    expect(dueWarnings).toEqual([
      expect.objectContaining({ code: 'KEY_ROTATION_DUE', exchangeAccountId: id }),
    ]);
    const listed = await gateway.graphql(ACCOUNTS, {}, { 'x-api-key': alice.apiKey });
    expect(listed.body.data?.exchangeAccounts).toEqual([expect.objectContaining({ id, rotationDue: true })]);

    // An attacker with write access to the table moves the row to user-2: it does not open there.
    await database.pool.query(`UPDATE exchange_accounts SET owner = 'user-2'`);
    const bob = await linker(gateway, 'user-2');
    const moved = await gateway.graphql(BALANCES, { id }, { 'x-api-key': bob.apiKey });
    expect(moved.body.data?.exchangeBalances ?? null).toBeNull();
    expect(codesOf(moved)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(JSON.stringify(moved.body)).not.toMatch(/envelope|decrypt|sealed/i);
    // Nor under its true owner's id once the envelope is swapped with another record's.
    await database.pool.query(`UPDATE exchange_accounts SET owner = 'user-1'`);
    expect(
      (await gateway.graphql(BALANCES, { id }, { 'x-api-key': alice.apiKey })).body.errors,
    ).toBeUndefined();

    const audit = await database.pool.query<{ type: string; event: Record<string, unknown> }>(
      `SELECT type, event FROM audit_events WHERE type LIKE 'exchange.%' ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.type)).toEqual(['exchange.linked', 'exchange.use_failed']);
    expect(JSON.stringify(audit.rows)).not.toContain(key.apiSecret);
    expect(JSON.stringify(audit.rows)).not.toContain(key.apiKey);
  });
});
