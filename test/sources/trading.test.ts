import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { type GraphQLError, graphql } from 'graphql';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FaultSettings } from '../../sources/sandbox-kit/faults.js';
import { accountsById, seedOrders } from '../../sources/sandbox-kit/universe.js';
import { createTradingClient } from '../../sources/trading/client.js';
import { createTradingSource, type TradingContext, tradingService } from '../../sources/trading/index.js';
import { createTradingLoaders } from '../../sources/trading/loaders.js';
import type { PlaceOrderInput } from '../../sources/trading/messages.js';
import { createOrderEventFeed } from '../../sources/trading/order-events.js';
import { tradingResolvers } from '../../sources/trading/resolvers.js';
import { startTradingSandbox, type TradingSandbox } from '../../sources/trading/sandbox/server.js';
import type { Principal } from '../../src/auth/principal.js';
import { gatewayError } from '../../src/errors.js';
import type { RequestScope } from '../../src/gateway/source.js';
import { createGrpcUpstream, type GrpcUpstream } from '../../src/upstream/grpc.js';
import { noResilience } from '../../src/upstream/resilience.js';
import { buildExecutableSchema } from './executable-schema.js';

const DEADLINE_MS = 300;

let sandbox: TradingSandbox;
let upstream: GrpcUpstream;

// Every test gets a fresh sandbox: orders are state, and ids (ord-1001, …) are asserted.
beforeEach(async () => {
  sandbox = await startTradingSandbox();
  // The source's own mapping is tested here, one call per request: resilience has its own tests.
  upstream = createGrpcUpstream(tradingService, {
    name: 'trading',
    address: sandbox.target,
    deadlineMs: DEADLINE_MS,
    resilience: noResilience,
  });
});

afterEach(async () => {
  upstream?.close();
  await sandbox?.close();
});

function scope(): RequestScope {
  return { requestId: 'req-test', signal: new AbortController().signal, log: pino({ level: 'silent' }) };
}

/** A context whose ownership check reads the universe, recording the accounts it was asked about. */
function context(userId: string | null = 'user-1'): TradingContext & { authorized: string[] } {
  const principal: Principal | null =
    userId === null
      ? null
      : {
          userId,
          clientId: userId,
          via: 'api-key',
          scopes: new Set(['portfolio:read', 'trade:write']),
          plan: 'free',
        };
  const authorized: string[] = [];
  return {
    principal,
    trading: {
      ...createTradingLoaders(createTradingClient(upstream), scope()),
      orderEvents: createOrderEventFeed(createTradingClient(upstream)),
    },
    authorized,
    async authorizeAccount(accountId) {
      authorized.push(accountId);
      if (accountsById.get(accountId)?.userId !== userId) {
        throw gatewayError('FORBIDDEN', 'This account is not one of your accounts.');
      }
    },
  };
}

function calls(route: string): number {
  return sandbox.control.stats.byRoute[route] ?? 0;
}

async function rejection(promise: Promise<unknown>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (err) {
    return err as GraphQLError;
  }
  throw new Error('expected a rejection');
}

const { Query, Mutation } = tradingResolvers;

const limitBuy: PlaceOrderInput = {
  accountId: 'acc-1',
  tokenId: 'ethereum',
  side: 'BUY',
  type: 'LIMIT',
  quantity: '1.5',
  limitPrice: '2500',
  clientOrderId: 'client-1',
};

describe('trading orders', () => {
  it('lists the seeded orders of an account newest first, filtered and limited', async () => {
    const ctx = context();
    const all = await Query.orders(undefined, { accountId: 'acc-1' }, ctx);
    expect(all.map((o) => o.id)).toEqual(['ord-1', 'ord-2', 'ord-3']);
    const seed = seedOrders.find((o) => o.id === 'ord-1')!;
    expect(all[0]).toEqual(seed);
    const open = await Query.orders(undefined, { accountId: 'acc-1', status: 'OPEN' }, ctx);
    expect(open.map((o) => o.id)).toEqual(['ord-1']);
    const first = await Query.orders(undefined, { accountId: 'acc-1', first: 2 }, ctx);
    expect(first.map((o) => o.id)).toEqual(['ord-1', 'ord-2']);
    expect(ctx.authorized).toEqual(['acc-1', 'acc-1', 'acc-1']);
  });

  it.each([0, 201, 1.5])('refuses first: %s with BAD_USER_INPUT before any call', async (first) => {
    const ctx = context();
    const err = await rejection(Query.orders(undefined, { accountId: 'acc-1', first }, ctx));
    expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    expect(sandbox.control.stats.total).toBe(0);
  });

  it("refuses another user's account before calling trading", async () => {
    const err = await rejection(Query.orders(undefined, { accountId: 'acc-4' }, context('user-1')));
    expect(err.extensions.code).toBe('FORBIDDEN');
    expect(sandbox.control.stats.total).toBe(0);
  });

  it('refuses anonymous callers with UNAUTHENTICATED', async () => {
    const ctx = context(null);
    for (const pending of [
      Query.orders(undefined, { accountId: 'acc-1' }, ctx),
      Mutation.placeOrder(undefined, { input: limitBuy }, ctx),
      Mutation.cancelOrder(undefined, { id: 'ord-1' }, ctx),
    ]) {
      expect((await rejection(pending)).extensions.code).toBe('UNAUTHENTICATED');
    }
    expect(sandbox.control.stats.total).toBe(0);
  });

  it('makes one BatchGetOrders call for many loads in one tick, in key order', async () => {
    const { trading } = context();
    const results = await Promise.all(
      ['ord-3', 'ord-404', 'ord-1', 'ord-3'].map((id) => trading.orders.load(id)),
    );
    expect(calls('BatchGetOrders')).toBe(1);
    expect(results.map((o) => o?.id ?? null)).toEqual(['ord-3', null, 'ord-1', 'ord-3']);
  });

  it.each<[string, string, Partial<FaultSettings>]>([
    ['hang', 'UPSTREAM_TIMEOUT', { outage: 'hang' }],
    ['latency beyond the deadline', 'UPSTREAM_TIMEOUT', { latencyMs: DEADLINE_MS * 3 }],
    ['error', 'UPSTREAM_UNAVAILABLE', { outage: 'error' }],
    ['reset', 'UPSTREAM_UNAVAILABLE', { outage: 'reset' }],
    ['garbage', 'UPSTREAM_UNAVAILABLE', { outage: 'garbage' }],
  ])('maps the %s fault to %s, naming no host', async (_, code, faults) => {
    sandbox.control.setFaults(faults);
    const ctx = context();
    const listed = await rejection(Query.orders(undefined, { accountId: 'acc-1' }, ctx));
    const loaded = await Promise.all(['ord-1', 'ord-2'].map((id) => rejection(ctx.trading.orders.load(id))));
    expect(calls('BatchGetOrders')).toBe(1);
    for (const err of [listed, ...loaded]) {
      expect(err.extensions).toEqual({ code, source: 'trading' });
      expect(err.message).not.toMatch(/127\.0\.0\.1|localhost/);
      expect(err.message).not.toContain(sandbox.target.split(':')[1]!);
    }
  });

  it('reports a stopped upstream as UPSTREAM_UNAVAILABLE', async () => {
    const ctx = context();
    await Query.orders(undefined, { accountId: 'acc-1' }, ctx);
    await sandbox.close();
    const err = await rejection(Query.orders(undefined, { accountId: 'acc-1' }, ctx));
    expect(err.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', source: 'trading' });
    expect(err.message).not.toContain(sandbox.target);
  });

  it('resolves Order.token to a stub for market and maps enums and decimals to the SDL', async () => {
    const source = createTradingSource(upstream);
    const result = await graphql({
      schema: buildExecutableSchema([source.typeDefs], [source.resolvers]),
      source: `{ orders(accountId: "acc-1", first: 2) {
        id accountId token { id } side type quantity limitPrice status clientOrderId createdAt } }`,
      contextValue: context(),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      orders: seedOrders.slice(0, 2).map(({ tokenId, ...order }) => ({ ...order, token: { id: tokenId } })),
    });
  });
});

describe('trading placeOrder', () => {
  it('places a LIMIT order that stays OPEN and a MARKET order that fills', async () => {
    const ctx = context();
    const limit = await Mutation.placeOrder(undefined, { input: limitBuy }, ctx);
    expect(limit).toMatchObject({
      id: 'ord-1001',
      status: 'OPEN',
      limitPrice: '2500',
      clientOrderId: 'client-1',
    });
    const market = await Mutation.placeOrder(
      undefined,
      { input: { ...limitBuy, type: 'MARKET', limitPrice: null, side: 'SELL', clientOrderId: 'client-2' } },
      ctx,
    );
    expect(market).toMatchObject({
      id: 'ord-1002',
      status: 'FILLED',
      side: 'SELL',
      type: 'MARKET',
      limitPrice: null,
    });
    expect(ctx.authorized).toEqual(['acc-1', 'acc-1']);
    const listed = await Query.orders(undefined, { accountId: 'acc-1', first: 2 }, ctx);
    expect(listed.map((o) => o.id)).toEqual(['ord-1002', 'ord-1001']);
  });

  it('yields one order when placed twice with the same clientOrderId', async () => {
    const first = await Mutation.placeOrder(undefined, { input: limitBuy }, context());
    const again = await Mutation.placeOrder(
      undefined,
      { input: { ...limitBuy, quantity: '1.50' } },
      context(),
    );
    expect(again).toEqual(first);
    expect(calls('PlaceOrder')).toBe(2);
    expect(sandbox.orders().filter((o) => o.clientOrderId === limitBuy.clientOrderId)).toHaveLength(1);
  });

  it('refuses a clientOrderId reused for different parameters with BAD_USER_INPUT', async () => {
    await Mutation.placeOrder(undefined, { input: limitBuy }, context());
    const err = await rejection(
      Mutation.placeOrder(undefined, { input: { ...limitBuy, quantity: '2' } }, context()),
    );
    expect(err.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'clientOrderId',
      source: 'trading',
    });
    expect(err.message).toContain('"client-1" was already used for a different order');
    expect(sandbox.orders()).toHaveLength(seedOrders.length + 1);
  });

  it.each<[string, Partial<PlaceOrderInput>, string]>([
    ['a token id that is not a slug', { tokenId: 'Bitcoin!' }, 'tokenId'],
    ['a zero quantity', { quantity: '0.000' }, 'quantity'],
    ['a negative quantity', { quantity: '-1' }, 'quantity'],
    ['a LIMIT order without limitPrice', { limitPrice: null }, 'limitPrice'],
    ['a LIMIT order with a zero limitPrice', { limitPrice: '0' }, 'limitPrice'],
    ['a MARKET order with a limitPrice', { type: 'MARKET' }, 'limitPrice'],
    ['a malformed clientOrderId', { clientOrderId: 'no spaces please' }, 'clientOrderId'],
    ['a malformed accountId', { accountId: '' }, 'accountId'],
  ])('refuses %s with BAD_USER_INPUT before any call', async (_, change, argument) => {
    const ctx = context();
    const err = await rejection(Mutation.placeOrder(undefined, { input: { ...limitBuy, ...change } }, ctx));
    expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    expect(ctx.authorized).toEqual([]);
    expect(sandbox.control.stats.total).toBe(0);
  });

  it("refuses another user's account before calling trading", async () => {
    const err = await rejection(
      Mutation.placeOrder(undefined, { input: { ...limitBuy, accountId: 'acc-4' } }, context()),
    );
    expect(err.extensions.code).toBe('FORBIDDEN');
    expect(calls('PlaceOrder')).toBe(0);
  });

  it('passes on the upstream refusal of an unknown token as BAD_USER_INPUT', async () => {
    const err = await rejection(
      Mutation.placeOrder(undefined, { input: { ...limitBuy, tokenId: 'no-such-coin' } }, context()),
    );
    expect(err.extensions).toEqual({ code: 'BAD_USER_INPUT', source: 'trading' });
    expect(calls('PlaceOrder')).toBe(1);
  });

  it('reports a hanging PlaceOrder as an ambiguous timeout, sent exactly once', async () => {
    sandbox.control.setFaults({ outage: 'hang' });
    const err = await rejection(Mutation.placeOrder(undefined, { input: limitBuy }, context()));
    expect(err.extensions).toEqual({
      code: 'UPSTREAM_TIMEOUT',
      source: 'trading',
      clientOrderId: 'client-1',
      ambiguous: true,
    });
    expect(err.message).toContain('may or may not have been placed');
    expect(err.message).toContain('"client-1"');
    expect(calls('PlaceOrder')).toBe(1);
    expect(sandbox.control.stats.total).toBe(1);
  });

  it('recovers from an ambiguous timeout: the order is found, and replaying its clientOrderId returns it', async () => {
    sandbox.control.setFaults({ latencyMs: DEADLINE_MS + 100 });
    const err = await rejection(Mutation.placeOrder(undefined, { input: limitBuy }, context()));
    expect(err.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', ambiguous: true });
    await expect.poll(() => sandbox.orders().length, { timeout: 2000 }).toBe(seedOrders.length + 1);
    sandbox.control.reset();
    const listed = await Query.orders(undefined, { accountId: 'acc-1', first: 1 }, context());
    expect(listed[0]).toMatchObject({ id: 'ord-1001', clientOrderId: 'client-1' });
    const replayed = await Mutation.placeOrder(undefined, { input: limitBuy }, context());
    expect(replayed).toEqual(listed[0]);
    expect(sandbox.orders()).toHaveLength(seedOrders.length + 1);
  });

  it('reports an unavailable PlaceOrder as UPSTREAM_UNAVAILABLE, sent once', async () => {
    sandbox.control.setFaults({ outage: 'error' });
    const err = await rejection(Mutation.placeOrder(undefined, { input: limitBuy }, context()));
    expect(err.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', source: 'trading' });
    expect(calls('PlaceOrder')).toBe(1);
  });
});

describe('trading cancelOrder', () => {
  it('cancels an OPEN order of the caller', async () => {
    const ctx = context();
    const cancelled = await Mutation.cancelOrder(undefined, { id: 'ord-1' }, ctx);
    expect(cancelled).toMatchObject({ id: 'ord-1', status: 'CANCELLED' });
    expect(ctx.authorized).toEqual(['acc-1']);
    expect(await ctx.trading.orders.load('ord-1')).toMatchObject({ status: 'CANCELLED' });
    expect(sandbox.orders().find((o) => o.id === 'ord-1')?.status).toBe('ORDER_STATUS_CANCELLED');
  });

  it('refuses to cancel a FILLED order with BAD_USER_INPUT', async () => {
    const err = await rejection(Mutation.cancelOrder(undefined, { id: 'ord-2' }, context()));
    expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(err.message).toBe('Only OPEN orders can be cancelled.');
    expect(calls('CancelOrder')).toBe(1);
  });

  it('answers NOT_FOUND for an unknown order', async () => {
    const err = await rejection(Mutation.cancelOrder(undefined, { id: 'ord-404' }, context()));
    expect(err.extensions.code).toBe('NOT_FOUND');
    expect(calls('CancelOrder')).toBe(0);
  });

  it("answers another user's order exactly like an unknown one, without cancelling it", async () => {
    const err = await rejection(Mutation.cancelOrder(undefined, { id: 'ord-5' }, context('user-1')));
    const unknown = await rejection(Mutation.cancelOrder(undefined, { id: 'ord-404' }, context('user-1')));
    expect(err.extensions.code).toBe('NOT_FOUND');
    expect(err.message).toBe(unknown.message.replace('ord-404', 'ord-5'));
    expect(calls('CancelOrder')).toBe(0);
    expect(sandbox.orders().find((o) => o.id === 'ord-5')?.status).toBe('ORDER_STATUS_OPEN');
  });

  it('refuses a malformed id with BAD_USER_INPUT before any call', async () => {
    const err = await rejection(Mutation.cancelOrder(undefined, { id: 'ord 1' }, context()));
    expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
    expect(sandbox.control.stats.total).toBe(0);
  });
});

describe('trading sandbox', () => {
  it('serves the admin stats route', async () => {
    await Query.orders(undefined, { accountId: 'acc-1' }, context());
    const body = (await (await fetch(`${sandbox.adminUrl}/stats`)).json()) as {
      stats: { byRoute: Record<string, number> };
    };
    expect(body.stats.byRoute).toEqual({ ListOrders: 1 });
  });

  it('runs standalone: prints its ready line and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'sources/trading/sandbox/main.ts', '--port', '0', '--admin-port', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const ready = JSON.parse(line) as { sandbox: string; target: string; adminUrl: string };
      expect(ready).toMatchObject({
        sandbox: 'trading',
        target: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      });
      expect(ready.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__sandbox$/);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
