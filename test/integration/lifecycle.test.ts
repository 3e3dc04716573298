/**
 * Graceful shutdown of a real gateway process: `node --import tsx src/main.ts`, pointed at sandboxes
 * started here and at Redis (keys and nonces live there), gets SIGTERM while a slow signed
 * placeOrder is in flight. /readyz must turn 503 at once, the order must complete with its data,
 * and the process must close everything (pools, channels, Redis) and exit 0 on its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SourceName, sources } from '../../sources/index.js';
import type { RunningSandbox } from '../../sources/sandbox-kit/types.js';
import { startSandboxes } from '../../src/gateway/registry.js';
import { TEST_ENCRYPTION_KEY } from '../helpers/gateway.js';
import { provisionSigningIdentity, type SigningIdentity } from '../helpers/identity.js';
import { useTestPostgres } from '../helpers/postgres.js';
import { type TestRedis, useTestRedis } from '../helpers/redis.js';

const redis: TestRedis | null = await useTestRedis();
// Production requires DATABASE_URL: the gateway and the keys CLI share a schema of this file's own.
const postgres = await useTestPostgres();

const SHUTDOWN_TIMEOUT = 8000;
const SHUTDOWN_DELAY = 700;
const ORDER_LATENCY = 1500;

const PLACE = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status clientOrderId } }
`;

interface GatewayProcess {
  readonly child: ChildProcess;
  readonly origin: string;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${stderr}`)), 30_000);
    void exited.then(({ code }) => reject(new Error(`gateway exited with ${code} at start:\n${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (typeof entry.url === 'string' && String(entry.msg).startsWith('Switchyard')) {
        clearTimeout(timer);
        resolve(new URL(entry.url).origin);
      }
    });
  });
  return { child, origin, logs, exited };
}

describe.skipIf(!redis || !postgres)('graceful shutdown of a gateway process', () => {
  let sandboxes: Record<SourceName, RunningSandbox>;
  let identity: SigningIdentity;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    sandboxes = await startSandboxes(sources);
    const shared = {
      NODE_ENV: 'production',
      REDIS_URL: redis!.url,
      DATABASE_URL: postgres!.url,
      REDIS_KEY_PREFIX: `test:lifecycle:${randomUUID()}:`,
      KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    };
    identity = await provisionSigningIdentity(shared, process.cwd());
    gateway = await spawnGateway({
      ...shared,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT),
      SHUTDOWN_DELAY: String(SHUTDOWN_DELAY),
      MARKET_URL: sandboxes.market.target,
      SIGNALS_URL: sandboxes.signals.target,
      PORTFOLIO_ADDR: sandboxes.portfolio.target,
      TRADING_ADDR: sandboxes.trading.target,
      EXCHANGE_URL: sandboxes.exchange.target,
    });
  });
  afterAll(async () => {
    if (gateway?.child.exitCode === null) gateway.child.kill('SIGKILL');
    await Promise.all([
      ...Object.values(sandboxes ?? {}).map((sandbox) => sandbox.close()),
      redis?.stop(),
      postgres?.drop(),
    ]);
  });

  it('on SIGTERM turns /readyz 503 at once, finishes an in-flight signed placeOrder, closes everything and exits 0', async () => {
    const ready = await fetch(`${gateway.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks).toHaveProperty('redis');

    sandboxes.trading.control.setFaults({ latencyMs: ORDER_LATENCY });
    const url = `${gateway.origin}/graphql`;
    const body = JSON.stringify({
      query: PLACE,
      variables: {
        input: {
          accountId: 'acc-1',
          tokenId: 'bitcoin',
          side: 'BUY',
          type: 'MARKET',
          quantity: '0.01',
          clientOrderId: 'shutdown-1',
        },
      },
    });
    const placed = fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...identity.headers('user-1', {
          method: 'POST',
          url,
          body,
          contentType: 'application/json',
          signed: true,
        }),
      },
      body,
    });
    // The order has reached trading, which holds it for ORDER_LATENCY: it is in flight.
    const deadline = Date.now() + 5000;
    while ((sandboxes.trading.control.stats.byRoute.PlaceOrder ?? 0) === 0) {
      if (Date.now() > deadline) throw new Error('placeOrder never reached the trading sandbox');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const draining = await fetch(`${gateway.origin}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ status: 'draining' });
    expect(draining.headers.get('connection')).toBe('close');

    const response = await placed;
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { data?: { placeOrder: unknown }; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.placeOrder).toMatchObject({
      id: expect.stringMatching(/^ord-/),
      status: 'FILLED',
      clientOrderId: 'shutdown-1',
    });

    const { code, signal } = await gateway.exited;
    const elapsed = Date.now() - signalled;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(ORDER_LATENCY - 200);
    expect(elapsed).toBeLessThan(SHUTDOWN_TIMEOUT);

    const messages = gateway.logs.map((entry) => entry.msg);
    expect(messages).toContain('shutting down');
    expect(messages).toContain('stopped');
    // Closing leaves nothing open (pools, channels, Redis, timers): the process ended by itself.
    expect(messages).not.toContain('handles still open after shutdown: exiting');
    expect(messages).not.toContain('shutdown deadline reached: closing remaining connections');
    expect(gateway.logs).toContainEqual(
      expect.objectContaining({ msg: 'request', operationName: 'Place', status: 200 }),
    );
    await expect(fetch(`${gateway.origin}/healthz`)).rejects.toThrow();
  });
});
