/** Starts sandboxes and a gateway on port 0, in-process, for integration tests. */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { type Logger, pino } from 'pino';
import { type SourceName, sources } from '../../sources/index.js';
import type { RunningSandbox } from '../../sources/sandbox-kit/types.js';
import type { startTradingSandbox } from '../../sources/trading/sandbox/server.js';
import { ed25519SigningKey, type SigningKey, signRequest } from '../../src/client/sign.js';
import { loadConfig } from '../../src/config.js';
import { startSandboxes } from '../../src/gateway/registry.js';
import { type RunningSwitchyard, startSwitchyard } from '../../src/main.js';
import { useTestPostgres } from './postgres.js';

/** The trading sandbox as it starts: a RunningSandbox with its order book. */
export type TradingSandbox = Awaited<ReturnType<typeof startTradingSandbox>>;

export interface TestGateway {
  readonly url: string;
  readonly origin: string;
  readonly sandboxes: Record<SourceName, RunningSandbox>;
  /** POSTs a GraphQL operation as user-1 (its API key) unless headers say otherwise. */
  graphql(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLReply>;
  /** The running gateway (its key service, for tests that create, rotate or revoke keys). */
  readonly running: RunningSwitchyard;
  /** Headers authenticating as a sandbox user through an API key with every scope that user needs. */
  as(user: 'user-1' | 'user-2'): Record<string, string>;
  /** The Ed25519 signing credential registered on a user's test key. */
  signingKey(user: 'user-1' | 'user-2'): SigningKey;
  /**
   * POSTs a signed operation (RFC 9421) as a user; `tamper` may change the body or headers after
   * signing, to test refusals.
   */
  signed(
    query: string,
    variables?: Record<string, unknown>,
    options?: {
      user?: 'user-1' | 'user-2';
      /** Another key than the user's (its signingKey must be given too). */
      apiKey?: string;
      signingKey?: SigningKey;
      tamper?: (request: { body: string; headers: Record<string, string> }) => {
        body: string;
        headers: Record<string, string>;
      };
    },
  ): Promise<GraphQLReply>;
  /** The trading sandbox with its order book (tests count orders placed). */
  readonly trading: TradingSandbox;
  /** Resets every sandbox's counters and faults. */
  resetSandboxes(): void;
  /** Upstream requests per source since the last reset. */
  calls(): Record<SourceName, number>;
  close(): Promise<void>;
}

export interface GraphQLReply {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  };
}

export interface TestGatewayOptions {
  /** Extra environment for loadConfig. */
  env?: Record<string, string>;
  logger?: Logger;
}

/** A fixed test master key, so several test gateways sharing a Redis hash keys alike. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** One key per sandbox user, with the scopes its screens need (user-1 trades). */
type TestUser = 'user-1' | 'user-2';
interface TestKey {
  key: string;
  signingKey: SigningKey;
}

/** A new API key of `clientId` with exactly `scopes` and an Ed25519 signing credential, valid for a day. */
export async function createSigningKey(
  running: RunningSwitchyard,
  clientId: string,
  scopes: string[],
  { name = 'test', plan }: { name?: string; plan?: string } = {},
): Promise<TestKey & { keyId: string }> {
  const pair = generateKeyPairSync('ed25519');
  const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const { key, record } = await running.keys.create(
    {
      clientId,
      name,
      scopes,
      expiresAt: new Date(Date.now() + 86_400_000),
      signing: { type: 'ed25519', publicKey },
      ...(plan ? { plan } : {}),
    },
    'test',
  );
  return { key, keyId: record.keyId, signingKey: ed25519SigningKey(record.keyId, pair.privateKey) };
}

/** One key per sandbox user, each able to sign (Ed25519); user-1 trades, user-2 reads. */
async function seedUserKeys(running: RunningSwitchyard): Promise<Record<TestUser, TestKey>> {
  const create = (clientId: string, scopes: string[]) => createSigningKey(running, clientId, scopes);
  return {
    'user-1': await create('user-1', ['market:read', 'portfolio:read', 'trade:write']),
    'user-2': await create('user-2', ['market:read', 'portfolio:read', 'keys:self']),
  };
}

export async function startTestGateway({
  env = {},
  logger = pino({ level: 'silent' }),
}: TestGatewayOptions = {}): Promise<TestGateway> {
  // Production requires DATABASE_URL: a gateway that does not bring one gets a schema of its own.
  const database = env.NODE_ENV === 'production' && !env.DATABASE_URL ? await useTestPostgres() : null;
  const sandboxes = await startSandboxes(sources);
  const config = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      UPSTREAM_TIMEOUT_MS: '400',
      SHUTDOWN_TIMEOUT: '2000',
      KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      // Generous plans: tests of other features never trip a rate limit (rate-limit tests set their own).
      RATE_LIMIT_PLANS: 'free=100,pro=1000,enterprise=10000',
      // Tests count upstream calls and script faults: answers come fresh unless a test caches on purpose.
      RESPONSE_CACHE: 'false',
      // A namespace per test gateway: keys seeded by one test never count against another's caps.
      REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
      // No draining pause before close (production defaults to one): tests stop gateways often.
      SHUTDOWN_DELAY: '0',
      MARKET_URL: sandboxes.market.target,
      SIGNALS_URL: sandboxes.signals.target,
      PORTFOLIO_ADDR: sandboxes.portfolio.target,
      TRADING_ADDR: sandboxes.trading.target,
      EXCHANGE_URL: sandboxes.exchange.target,
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...env,
    },
    false,
  );
  let running: RunningSwitchyard;
  try {
    running = await startSwitchyard(config, logger);
  } catch (err) {
    await Promise.all(Object.values(sandboxes).map((s) => s.close()));
    await database?.drop();
    throw err;
  }
  const origin = new URL(running.url).origin;
  // With a key store that is down on purpose, there are no keys: tests then send their own headers.
  const userKeys = await seedUserKeys(running).catch(() => undefined);
  const keyOf = (user: TestUser) => {
    if (!userKeys) throw new Error('no test keys: the key store was unreachable when the gateway started');
    return userKeys[user];
  };
  const as = (user: TestUser) => ({ 'x-api-key': keyOf(user).key });
  const post = async (body: string, headers: Record<string, string>): Promise<GraphQLReply> => {
    const response = await fetch(running.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...headers,
      },
      body,
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as GraphQLReply['body'],
    };
  };
  return {
    url: running.url,
    origin,
    sandboxes,
    running,
    trading: sandboxes.trading as TradingSandbox,
    as,
    signingKey: (user) => keyOf(user).signingKey,
    async signed(query, variables, { user = 'user-1', apiKey, signingKey, tamper } = {}) {
      const body = JSON.stringify({ query, variables });
      const headers = {
        ...(apiKey ? { 'x-api-key': apiKey } : as(user)),
        ...signRequest({
          method: 'POST',
          url: running.url,
          body: Buffer.from(body),
          contentType: 'application/json',
          key: signingKey ?? keyOf(user).signingKey,
          created: Math.floor(Date.now() / 1000),
        }),
      };
      const sent = tamper ? tamper({ body, headers }) : { body, headers };
      return post(sent.body, sent.headers);
    },
    graphql: (query, variables, headers) =>
      post(JSON.stringify({ query, variables }), headers ?? as('user-1')),
    resetSandboxes() {
      for (const sandbox of Object.values(sandboxes)) sandbox.control.reset();
    },
    calls() {
      return Object.fromEntries(
        Object.entries(sandboxes).map(([name, sandbox]) => [name, sandbox.control.stats.total]),
      ) as Record<SourceName, number>;
    },
    async close() {
      await running.close();
      await Promise.all(Object.values(sandboxes).map((s) => s.close()));
      await database?.drop();
    },
  };
}
