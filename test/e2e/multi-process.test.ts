/**
 * Switchyard as deployed, as separate processes: the four sandboxes and two gateway replicas run
 * with the commands and environment of deploy/commands.ts (the ones docker-compose.yml runs, on the
 * sources instead of the build), sharing one Redis. Every client operation in schema/operations is
 * sent through both gateways and its data checked.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/processes.js';
import {
  GATEWAY_REPLICAS,
  gatewayCommand,
  gatewayEnvironment,
  sandboxCommand,
  sandboxProcesses,
} from '../../deploy/commands.js';
import { httpReady, type Launched, launch, REPO_ROOT, readyLine } from '../../deploy/launch.js';
import { type ClientOperation, loadClientOperations } from '../../scripts/schema/operations.js';
import type { SourceName } from '../../sources/index.js';
import { provisionSigningIdentity, type SandboxUser, type SigningIdentity } from '../helpers/identity.js';
import { useTestRedis } from '../helpers/redis.js';

const redis = await useTestRedis();
const operations = loadClientOperations();
const operation = (name: string): ClientOperation => {
  const found = operations.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no client operation ${name} in schema/operations`);
  return found;
};

interface Gateway {
  readonly name: string;
  readonly origin: string;
  readonly process: Launched;
}

interface Reply {
  status: number;
  data: Record<string, unknown> | null | undefined;
  errors: { message: string; extensions?: { code?: string } }[] | undefined;
}

/** (gateway, operation) pairs that were sent. */
const sent = new Set<string>();
let identity: SigningIdentity;

/** Sends a client operation by its file's document, exactly as the client ships it. */
async function send(
  gateway: Gateway,
  name: string,
  variables: Record<string, unknown>,
  user: SandboxUser = 'user-1',
): Promise<Reply> {
  const { body: document, type } = operation(name);
  sent.add(`${gateway.name} ${name}`);
  const url = `${gateway.origin}/graphql`;
  const body = JSON.stringify({ query: document, operationName: name, variables });
  const contentType = 'application/json';
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      accept: 'application/graphql-response+json',
      ...identity.headers(user, { method: 'POST', url, body, contentType, signed: type === 'mutation' }),
      'content-type': contentType,
    },
    body,
  });
  const json = (await response.json()) as Omit<Reply, 'status'>;
  return { status: response.status, data: json.data, errors: json.errors };
}

/** Sends and expects data without errors; records the pair as covered. */
async function run<T>(
  gateway: Gateway,
  name: string,
  variables: Record<string, unknown> = {},
  user?: SandboxUser,
): Promise<T> {
  const reply = await send(gateway, name, variables, user);
  expect(reply.errors, `${name} on ${gateway.name}`).toBeUndefined();
  expect(reply.status).toBe(200);
  return reply.data as T;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const RATINGS = ['BULLISH', 'NEUTRAL', 'BEARISH'];

interface PriceData {
  usd: string;
  change24h: number | null;
  updatedAt?: string;
}
interface TokenData {
  id: string;
  symbol: string;
  name?: string;
  price: PriceData | null;
  signal: { rating: string; score?: number } | null;
}
interface OrderData {
  id: string;
  status: string;
  clientOrderId?: string;
  side?: string;
  type?: string;
  quantity?: string;
  limitPrice?: string | null;
  token: { id?: string; symbol: string };
}

describe.skipIf(!redis)('deployed as separate processes: 4 sandboxes, 2 gateways, 1 Redis', () => {
  const children: Launched[] = [];
  const gateways: Gateway[] = [];
  const runId = Date.now().toString(36);

  beforeAll(async () => {
    const sandboxes = await Promise.all(
      sandboxProcesses.map(async (sandbox) => {
        const listen = {
          host: '127.0.0.1',
          port: await freePort(),
          ...(sandbox.adminPort === undefined ? {} : { adminPort: await freePort() }),
        };
        const launched = launch(sandbox.name, sandboxCommand(sandbox, listen, 'source'));
        children.push(launched);
        await readyLine(launched);
        return [sandbox.name, { host: listen.host, port: listen.port }] as const;
      }),
    );
    const wiring = Object.fromEntries(sandboxes) as Record<SourceName, { host: string; port: number }>;
    const secrets = { KEYS_ENCRYPTION_KEYS: `v1:${randomBytes(32).toString('base64')}` };
    // A namespace of this run in the shared Redis: other tests' keys, nonces and counters stay apart.
    const isolation = { REDIS_KEY_PREFIX: `e2e:${runId}:` };
    for (let replica = 1; replica <= GATEWAY_REPLICAS; replica++) {
      const port = await freePort();
      const env = {
        ...gatewayEnvironment({ sandboxes: wiring, redisUrl: redis!.url, host: '127.0.0.1', port, secrets }),
        ...isolation,
        LOG_LEVEL: 'warn',
        LOG_PRETTY: 'false',
        SHUTDOWN_TIMEOUT: '2000',
      };
      // Only what the deployment sets, as in a container: nothing leaks in from the test's environment.
      const launched = launch(`gateway-${replica}`, gatewayCommand('source'), {
        env,
        baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      children.push(launched);
      gateways.push({ name: launched.name, origin: `http://127.0.0.1:${port}`, process: launched });
    }
    await Promise.all(
      gateways.map((gateway) => httpReady(gateway.process, `${gateway.origin}/readyz`, 45_000)),
    );
    identity = await provisionSigningIdentity({ REDIS_URL: redis!.url, ...secrets, ...isolation }, REPO_ROOT);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(children.map((child) => child.stop()));
    await redis?.stop();
  });

  it('runs every process separately, and each gateway is ready with Redis and all four upstreams', async () => {
    const pids = new Set(children.map((child) => child.child.pid));
    expect(pids.size).toBe(sandboxProcesses.length + GATEWAY_REPLICAS);
    expect(pids.has(process.pid)).toBe(false);
    for (const gateway of gateways) {
      const response = await fetch(`${gateway.origin}/readyz`);
      const body = (await response.json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect(response.status).toBe(200);
      expect(body.status).toBe('ready');
      for (const name of ['redis', ...sandboxProcesses.map((sandbox) => sandbox.name)]) {
        expect(body.checks[name]?.ok, `${gateway.name} ${name}`).toBe(true);
      }
    }
  });

  it('answers the token list screens (web, mobile) alike on both gateways', async () => {
    const answers = [];
    for (const gateway of gateways) {
      const web = await run<{ topTokens: TokenData[] }>(gateway, 'WebTokenList', { first: 5 });
      expect(web.topTokens.map((token) => token.id)).toEqual([
        'bitcoin',
        'ethereum',
        'tether',
        'binancecoin',
        'solana',
      ]);
      expect(web.topTokens[0]).toMatchObject({ symbol: 'BTC', name: 'Bitcoin', price: { usd: '97250.5' } });
      for (const token of web.topTokens) {
        expect(token.price?.usd).toMatch(DECIMAL);
        expect(token.price?.updatedAt).toMatch(INSTANT);
      }
      const mobile = await run<{ topTokens: TokenData[] }>(gateway, 'MobileTokenList');
      expect(mobile.topTokens).toHaveLength(50);
      expect(
        mobile.topTokens.filter((token) => token.signal && RATINGS.includes(token.signal.rating)).length,
      ).toBeGreaterThan(0);
      answers.push([web, mobile]);
    }
    expect(answers[1]).toEqual(answers[0]);
  });

  it('answers the token detail screens with price, signal and candles', async () => {
    for (const gateway of gateways) {
      const web = await run<{
        token: TokenData & { candles: { openTime: string; open: string; close: string; volume: string }[] };
      }>(gateway, 'WebTokenDetail', { id: 'bitcoin', interval: 'H1', candles: 24 });
      expect(web.token).toMatchObject({ id: 'bitcoin', symbol: 'BTC', price: { usd: '97250.5' } });
      expect(RATINGS).toContain(web.token.signal?.rating);
      expect(web.token.candles).toHaveLength(24);
      for (const candle of web.token.candles) {
        expect(candle.openTime).toMatch(INSTANT);
        expect([candle.open, candle.close, candle.volume].every((value) => DECIMAL.test(value))).toBe(true);
      }
      const mobile = await run<{ token: TokenData & { candles: unknown[] } }>(gateway, 'MobileTokenDetail', {
        id: 'ethereum',
      });
      expect(mobile.token).toMatchObject({ id: 'ethereum', symbol: 'ETH', price: { usd: '3412.75' } });
      expect(mobile.token.candles).toHaveLength(7);
    }
  });

  it("answers the portfolio screens with the caller's accounts and positions", async () => {
    for (const gateway of gateways) {
      const accounts = await run<{ accounts: { id: string }[] }>(gateway, 'WebAccounts');
      expect(accounts.accounts.map((account) => account.id).sort()).toEqual(['acc-1', 'acc-2', 'acc-3']);

      const web = await run<{
        portfolio: { accountId: string; positions: { quantity: string; token: TokenData }[] };
      }>(gateway, 'WebPortfolio', { accountId: 'acc-1' });
      expect(web.portfolio.accountId).toBe('acc-1');
      expect(web.portfolio.positions).toHaveLength(50);
      expect(web.portfolio.positions[0]).toMatchObject({
        quantity: '686.456201',
        token: { symbol: 'BTC', price: { usd: '97250.5' } },
      });
      expect(web.portfolio.positions.every((position) => DECIMAL.test(position.quantity))).toBe(true);

      const mobile = await run<{ accounts: { id: string }[]; portfolio: { positions: unknown[] } }>(
        gateway,
        'MobilePortfolio',
        { accountId: 'acc-4' },
        'user-2',
      );
      expect(mobile.accounts.map((account) => account.id)).toEqual(['acc-4']);
      expect(mobile.portfolio.positions).toHaveLength(1);
    }
  });

  it("refuses another user's portfolio on both gateways", async () => {
    for (const gateway of gateways) {
      const reply = await send(gateway, 'WebPortfolio', { accountId: 'acc-4' });
      expect(reply.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(reply.data?.portfolio).toBeNull();
    }
  });

  it('answers the orders screens with the seeded orders', async () => {
    for (const gateway of gateways) {
      const web = await run<{ orders: OrderData[] }>(gateway, 'WebOrders', { accountId: 'acc-1' });
      const seeded = web.orders.filter((order) => order.clientOrderId?.startsWith('seed-'));
      expect(seeded.map((order) => [order.id, order.status, order.token.symbol])).toEqual([
        ['ord-1', 'OPEN', 'BTC'],
        ['ord-2', 'FILLED', 'ETH'],
        ['ord-3', 'CANCELLED', 'SOL'],
      ]);
      const mobile = await run<{ orders: OrderData[] }>(gateway, 'MobileOrders', { accountId: 'acc-1' });
      expect(mobile.orders.length).toBeGreaterThan(0);
      expect(mobile.orders.every((order) => order.status === 'OPEN')).toBe(true);
      expect(mobile.orders.map((order) => order.id)).toContain('ord-1');
    }
  });

  it('places an order through one gateway, sees the retry answered alike by the other, and cancels it there', async () => {
    const [first, second] = gateways as [Gateway, Gateway];
    for (const [client, via, other] of [
      ['Web', first, second],
      ['Mobile', second, first],
    ] as const) {
      const input = {
        accountId: 'acc-1',
        tokenId: 'solana',
        side: 'BUY',
        type: 'LIMIT',
        quantity: '2.5',
        limitPrice: '101.25',
        clientOrderId: `e2e-${client.toLowerCase()}-${runId}`,
      };
      const placed = await run<{ placeOrder: OrderData }>(via, `${client}PlaceOrder`, { input });
      expect(placed.placeOrder).toMatchObject({
        status: 'OPEN',
        clientOrderId: input.clientOrderId,
        quantity: '2.5',
        limitPrice: '101.25',
        token: { symbol: 'SOL' },
      });
      const retried = await run<{ placeOrder: OrderData }>(other, `${client}PlaceOrder`, { input });
      expect(retried.placeOrder).toEqual(placed.placeOrder);

      const open = await run<{ orders: OrderData[] }>(via, 'MobileOrders', { accountId: 'acc-1' });
      expect(open.orders.map((order) => order.id)).toContain(placed.placeOrder.id);

      const cancelled = await run<{ cancelOrder: OrderData }>(other, `${client}CancelOrder`, {
        id: placed.placeOrder.id,
      });
      expect(cancelled.cancelOrder).toEqual({ id: placed.placeOrder.id, status: 'CANCELLED' });
      const again = await send(via, `${client}CancelOrder`, { id: placed.placeOrder.id });
      expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

      const listed = await run<{ orders: OrderData[] }>(via, 'WebOrders', {
        accountId: 'acc-1',
        status: 'CANCELLED',
      });
      expect(listed.orders.map((order) => order.id)).toContain(placed.placeOrder.id);
    }
  });

  it('refuses a signed mutation replayed on the other gateway: nonces are shared through Redis', async () => {
    const [first, second] = gateways as [Gateway, Gateway];
    // As the load balancer forwards it (deploy/nginx.conf): both replicas see the authority the client signed.
    const publicUrl = 'http://switchyard.test/graphql';
    const contentType = 'application/json';
    const input = {
      accountId: 'acc-1',
      tokenId: 'cardano',
      side: 'SELL',
      type: 'LIMIT',
      quantity: '10',
      limitPrice: '2.5',
      clientOrderId: `e2e-replay-${runId}`,
    };
    const body = JSON.stringify({
      query: operation('WebPlaceOrder').body,
      operationName: 'WebPlaceOrder',
      variables: { input },
    });
    const headers = {
      accept: 'application/graphql-response+json',
      'x-forwarded-host': 'switchyard.test',
      'x-forwarded-proto': 'http',
      ...identity.headers('user-1', { method: 'POST', url: publicUrl, body, contentType, signed: true }),
      'content-type': contentType,
    };
    const post = async (gateway: Gateway) => {
      const response = await fetch(`${gateway.origin}/graphql`, { method: 'POST', headers, body });
      return (await response.json()) as Omit<Reply, 'status'>;
    };
    const accepted = await post(first);
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data?.placeOrder).toMatchObject({ status: 'OPEN', clientOrderId: input.clientOrderId });
    const replayed = await post(second);
    expect(replayed.errors?.[0]?.extensions?.code).toBe('REPLAYED_REQUEST');
    expect(replayed.data?.placeOrder ?? null).toBeNull();
  });

  it('has run every client operation in schema/operations through both gateways', () => {
    const missing = gateways.flatMap((gateway) =>
      operations.map((op) => `${gateway.name} ${op.name}`).filter((pair) => !sent.has(pair)),
    );
    expect(missing).toEqual([]);
  });
});
