/**
 * A full run — queries, mutations, upstream failures, refusals, malformed requests — against a
 * gateway whose root logger (the production one, at trace level) writes to memory, carrying fake
 * credentials in every place a client can put them. Then EVERY log line is scanned for them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSandbox } from '../../sources/exchange/sandbox/server.js';
import { ed25519SigningKey, type SigningKey } from '../../src/client/sign.js';
import { createLogger } from '../../src/logger.js';
import { createSigningKey, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const lines: string[] = [];
const destination = {
  write(chunk: string) {
    lines.push(...chunk.split('\n').filter((line) => line !== ''));
  },
};

const HMAC_SECRET = Buffer.from('SECRET-HMAC-0123456789abcdefghijklmnop').toString('base64');
/** Fake credentials and secret values; real API keys are added once the gateway made them. */
const secrets = [
  'SECRET-JWT-PAYLOAD',
  'SECRET-COOKIE-VALUE',
  'SECRET-SIGNATURE-BYTES',
  'SECRET-SIGNATURE-INPUT',
  'SECRET-PROXY-CREDENTIAL',
  'sy_test_SECRETBOGUSKEY0000000000000000000000000000',
  HMAC_SECRET,
  'secret-password-value',
  'SECRET-IN-BROKEN-JSON',
  'SECRET-IN-BAD-VARIABLE',
  'SECRET-IN-QUERY',
  'SECRET-IN-URL',
];

const secretHeaders = {
  cookie: 'session=SECRET-COOKIE-VALUE; theme=dark',
  signature: 'sig1=:SECRET-SIGNATURE-BYTES:',
  'signature-input': 'sig1=("@method" "@path");created=1;keyid="k1";nonce="SECRET-SIGNATURE-INPUT"',
  'proxy-authorization': 'Basic SECRET-PROXY-CREDENTIAL',
};

describe('logs carry no secrets', () => {
  let gateway: TestGateway;
  let sent = 0;
  let adminKey: string;
  let adminSigning: SigningKey;

  beforeAll(async () => {
    gateway = await startTestGateway({
      logger: createLogger({ level: 'trace', pretty: false, destination }),
    });
    const pair = generateKeyPairSync('ed25519');
    const admin = await gateway.running.keys.create(
      {
        clientId: 'user-1',
        name: 'admin',
        scopes: ['keys:self', 'market:read'],
        expiresAt: new Date(Date.now() + 3_600_000),
        signing: {
          type: 'ed25519',
          publicKey: pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        },
      },
      'test',
    );
    adminKey = admin.key;
    adminSigning = ed25519SigningKey(admin.record.keyId, pair.privateKey);
    secrets.push(gateway.as('user-1')['x-api-key']!, adminKey);
  });
  afterAll(async () => {
    await gateway.close();
  });

  const post = async (body: string, headers: Record<string, string>) => {
    sent++;
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...secretHeaders,
        ...headers,
      },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const graphql = (query: string, variables: Record<string, unknown> = {}, headers = gateway.as('user-1')) =>
    post(JSON.stringify({ query, variables }), headers);
  /** A signed mutation, with the secret headers added after signing; its signature is a secret too. */
  const mutation = async (
    query: string,
    variables: Record<string, unknown>,
    signer?: { apiKey: string; signingKey: SigningKey },
  ) => {
    sent++;
    return gateway.signed(query, variables, {
      ...signer,
      tamper: ({ body, headers }) => {
        secrets.push(/:([^:]+):/.exec(headers.signature ?? '')![1]!);
        return {
          body,
          headers: {
            ...headers,
            cookie: secretHeaders.cookie,
            'proxy-authorization': secretHeaders['proxy-authorization'],
          },
        };
      },
    });
  };

  it('runs a full set of operations, then finds none of the secrets in any line', async () => {
    const ok = await graphql(
      'query Portfolio($accountId: ID!) { portfolio(accountId: $accountId) { positions { quantity token { symbol price { usd } signal { rating } } } } }',
      { accountId: 'acc-1', password: 'secret-password-value', apiKey: 'SECRET-IN-URL' },
    );
    expect(ok.body.errors).toBeUndefined();
    await graphql('query Lookup($password: ID!) { token(id: $password) { id } }', {
      password: 'secret-password-value',
    });
    const placed = await mutation(
      'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }',
      {
        input: {
          accountId: 'acc-1',
          tokenId: 'bitcoin',
          side: 'BUY',
          type: 'LIMIT',
          quantity: '0.5',
          limitPrice: '90000',
          clientOrderId: 'log-scan-1',
        },
        // Not declared by the operation: ignored by GraphQL, and not kept in the audit line either.
        undeclared: 'x'.repeat(1000),
      },
    );
    expect(placed.body.errors).toBeUndefined();
    const created = await mutation(
      'mutation Create($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }',
      {
        input: {
          clientId: 'user-1',
          name: 'signer',
          scopes: ['market:read'],
          signingHmacSecret: HMAC_SECRET,
        },
      },
      { apiKey: adminKey, signingKey: adminSigning },
    );
    expect(created.body.errors).toBeUndefined();
    const createdKey = (created.body.data as { createApiKey: { key: string } }).createApiKey.key;
    secrets.push(createdKey);

    // A linked exchange key: linked, used, refused when it can withdraw; its key and secret are secrets.
    const linker = await createSigningKey(gateway.running, 'user-1', ['portfolio:read', 'exchanges:write']);
    secrets.push(linker.key);
    const asLinker = { apiKey: linker.key, signingKey: linker.signingKey };
    const exchange = gateway.sandboxes.exchange as ExchangeSandbox;
    const linkAs = async (permissions: Parameters<ExchangeSandbox['createKey']>[0]) => {
      const key = exchange.createKey(permissions);
      secrets.push(key.apiKey, key.apiSecret);
      return mutation(
        'mutation Link($input: LinkExchangeAccountInput!) { linkExchangeAccount(input: $input) { id } }',
        { input: { exchange: 'sandbox', label: 'scan', apiKey: key.apiKey, apiSecret: key.apiSecret } },
        asLinker,
      );
    };
    const linked = await linkAs({ read: true, ipRestricted: true });
    const linkedId = (linked.body.data as { linkExchangeAccount: { id: string } }).linkExchangeAccount.id;
    expect(
      (
        await graphql(
          'query Balances($id: ID!) { exchangeBalances(exchangeAccountId: $id) { free } }',
          { id: linkedId },
          { 'x-api-key': linker.key },
        )
      ).body.errors,
    ).toBeUndefined();
    expect((await linkAs({ read: true, withdraw: true, ipRestricted: true })).body.errors).toHaveLength(1);

    // Refused identities.
    expect(
      (
        await graphql(
          '{ token(id: "bitcoin") { id } }',
          {},
          { authorization: 'Bearer a.SECRET-JWT-PAYLOAD.c' },
        )
      ).status,
    ).toBe(401);
    const bogus = await graphql(
      '{ token(id: "bitcoin") { id } }',
      {},
      {
        'x-api-key': 'sy_test_SECRETBOGUSKEY0000000000000000000000000000',
      },
    );
    expect(bogus.status).toBe(401);
    // Malformed requests whose error messages would quote what was sent.
    expect(
      (
        await post(
          '{"query": "{ token(id: \\"bitcoin\\") { id } }", "variables": {"password": "SECRET-IN-BROKEN-JSON"',
          gateway.as('user-1'),
        )
      ).status,
    ).toBe(400);
    const badVariable = await graphql('query Q($id: ID!) { token(id: $id) { id } }', {
      id: { nested: 'SECRET-IN-BAD-VARIABLE' },
    });
    expect(badVariable.status).toBe(400);
    expect((await graphql('{ token(id: "SECRET-IN-QUERY") { id } ')).status).toBe(400);
    // Variables in a URL: the access log writes the path only.
    sent++;
    const get = await fetch(
      `${gateway.url}?query=${encodeURIComponent('query Q($password: String) { token(id: "bitcoin") { id } }')}&variables=${encodeURIComponent(JSON.stringify({ password: 'SECRET-IN-URL' }))}`,
      {
        // x-graphql-client: the CSRF header GET requests need.
        headers: {
          ...gateway.as('user-1'),
          ...secretHeaders,
          accept: 'application/json',
          'x-graphql-client': 'test',
        },
      },
    );
    expect(get.status).toBe(200);
    // An upstream failure and a timeout are logged with their detail.
    gateway.sandboxes.market.control.setFaults({ outage: 'error' });
    await graphql('{ token(id: "ethereum") { symbol } }');
    gateway.sandboxes.market.control.setFaults({ outage: 'hang' });
    await graphql('{ token(id: "solana") { symbol } }');
    gateway.resetSandboxes();

    await new Promise((resolve) => setTimeout(resolve, 50));
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines) {
      for (const secret of secrets) expect(line, `a log line contains ${secret}`).not.toContain(secret);
    }

    // The scan means something only if the lines were written and carry what they should.
    const requests = parsed.filter((line) => line.msg === 'request');
    expect(requests).toHaveLength(sent);
    for (const request of requests) {
      expect(request).toMatchObject({ requestId: expect.any(String), status: expect.any(Number) });
      expect(request.durationMs).toEqual(expect.any(Number));
    }
    const portfolio = requests.find((line) => line.operationName === 'Portfolio')!;
    expect(portfolio).toMatchObject({
      operationType: 'query',
      status: 200,
      outcome: 'ok',
      upstreamCalls: 3,
      principal: { userId: 'user-1', clientId: 'user-1', via: 'api-key', keyId: expect.any(String) },
    });
    expect(portfolio.variables).toBeUndefined();
    const place = requests.find((line) => line.operationName === 'Place')!;
    expect(place).toMatchObject({
      operationType: 'mutation',
      variables: { input: { clientOrderId: 'log-scan-1', quantity: '0.5' } },
    });
    expect(Object.keys(place.variables as object)).toEqual(['input']);
    const create = requests.find((line) => line.operationName === 'Create')!;
    expect(create.variables).toEqual({
      input: expect.objectContaining({ clientId: 'user-1', signingHmacSecret: '[redacted]' }),
    });
    expect(requests.filter((line) => line.status === 401)).toHaveLength(2);
    expect(
      requests.some((line) => (line.errorCodes as string[] | undefined)?.includes('BAD_USER_INPUT')),
    ).toBe(true);
    expect(
      requests.some((line) => (line.upstreamErrors as string[] | undefined)?.includes('UPSTREAM_TIMEOUT')),
    ).toBe(true);
    expect(parsed.some((line) => line.msg === 'market call failed')).toBe(true);
  });
});
