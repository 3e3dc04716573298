import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { type GraphQLError, graphql } from 'graphql';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPortfolioClient } from '../../sources/portfolio/client.js';
import {
  authorizeAccount,
  createPortfolioSource,
  type PortfolioContext,
  portfolioService,
} from '../../sources/portfolio/index.js';
import { createPortfolioLoaders } from '../../sources/portfolio/loaders.js';
import { portfolioResolvers } from '../../sources/portfolio/resolvers.js';
import { startPortfolioSandbox } from '../../sources/portfolio/sandbox/server.js';
import type { FaultSettings } from '../../sources/sandbox-kit/faults.js';
import type { RunningSandbox } from '../../sources/sandbox-kit/types.js';
import { accountsById } from '../../sources/sandbox-kit/universe.js';
import type { Principal } from '../../src/auth/principal.js';
import type { RequestScope } from '../../src/gateway/source.js';
import { createGrpcUpstream, type GrpcUpstream } from '../../src/upstream/grpc.js';
import { noResilience } from '../../src/upstream/resilience.js';
import { buildExecutableSchema } from './executable-schema.js';

const DEADLINE_MS = 300;

let sandbox: RunningSandbox;
let upstream: GrpcUpstream;

beforeAll(async () => {
  sandbox = await startPortfolioSandbox();
  // The source's own mapping is tested here, one call per request: resilience has its own tests.
  upstream = createGrpcUpstream(portfolioService, {
    name: 'portfolio',
    address: sandbox.target,
    deadlineMs: DEADLINE_MS,
    resilience: noResilience,
  });
});

afterEach(() => sandbox.control.reset());

afterAll(async () => {
  upstream?.close();
  await sandbox?.close();
});

function principal(userId: string): Principal {
  return {
    userId,
    clientId: userId,
    via: 'api-key',
    scopes: new Set(['portfolio:read', 'trade:write']),
    plan: 'free',
  };
}

function scope(): RequestScope {
  return { requestId: 'req-test', signal: new AbortController().signal, log: pino({ level: 'silent' }) };
}

function context(userId: string | null = 'user-1', over: GrpcUpstream = upstream): PortfolioContext {
  return {
    principal: userId === null ? null : principal(userId),
    portfolio: createPortfolioLoaders(createPortfolioClient(over), scope()),
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

const { Query } = portfolioResolvers;

describe('portfolio source', () => {
  it.each([
    ['acc-1', 50],
    ['acc-2', 500],
    ['acc-3', 0],
  ])('returns the universe positions of %s (%i)', async (accountId, count) => {
    const portfolio = await Query.portfolio(undefined, { accountId }, context('user-1'));
    const expected = accountsById.get(accountId)!.positions;
    expect(portfolio.accountId).toBe(accountId);
    expect(portfolio.positions).toHaveLength(count);
    expect(portfolio.positions).toEqual(expected);
  });

  it('keeps an unknown average cost as null', async () => {
    const portfolio = await Query.portfolio(undefined, { accountId: 'acc-2' }, context('user-1'));
    const unknown = portfolio.positions.filter((p) => p.averageCost === null);
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.length).toBe(
      accountsById.get('acc-2')!.positions.filter((p) => p.averageCost === null).length,
    );
  });

  it("lists only the caller's accounts", async () => {
    const mine = await Query.accounts(undefined, {}, context('user-1'));
    expect(mine.map((a) => [a.id, a.name])).toEqual([
      ['acc-1', 'Main'],
      ['acc-2', 'Index'],
      ['acc-3', 'Empty'],
    ]);
    const theirs = await Query.accounts(undefined, {}, context('user-2'));
    expect(theirs.map((a) => a.id)).toEqual(['acc-4']);
  });

  it('refuses anonymous callers with UNAUTHENTICATED before any call', async () => {
    const ctx = context(null);
    expect(() => Query.accounts(undefined, {}, ctx)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    );
    const err = await rejection(Query.portfolio(undefined, { accountId: 'acc-1' }, ctx));
    expect(err.extensions.code).toBe('UNAUTHENTICATED');
    expect(sandbox.control.stats.total).toBe(0);
  });

  it('refuses a malformed account id with BAD_USER_INPUT before any call', async () => {
    const err = await rejection(Query.portfolio(undefined, { accountId: 'acc 1;drop' }, context()));
    expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'accountId' });
    expect(sandbox.control.stats.total).toBe(0);
  });

  it('gives unknown and foreign accounts the same FORBIDDEN error', async () => {
    const foreign = await rejection(Query.portfolio(undefined, { accountId: 'acc-4' }, context('user-1')));
    const unknown = await rejection(Query.portfolio(undefined, { accountId: 'acc-999' }, context('user-1')));
    expect(foreign.extensions).toEqual({ code: 'FORBIDDEN', argument: 'accountId' });
    expect(unknown.extensions).toEqual(foreign.extensions);
    expect(unknown.message).toBe(foreign.message);
  });

  it('makes one BatchGetPortfolios call for many loads in one tick, in key order', async () => {
    const { portfolio } = context();
    const ids = ['acc-2', 'acc-1', 'acc-999', 'acc-4', 'acc-1'];
    const results = await Promise.all(ids.map((id) => portfolio.portfolios.load(id)));
    expect(calls('BatchGetPortfolios')).toBe(1);
    expect(results.map((p) => p?.accountId ?? null)).toEqual(['acc-2', 'acc-1', null, 'acc-4', 'acc-1']);
  });

  it('makes one BatchGetAccounts call for many ownership checks in one tick', async () => {
    const ctx = context('user-1');
    await Promise.all(
      ['acc-1', 'acc-2', 'acc-3'].map((id) => authorizeAccount(ctx.portfolio, ctx.principal, id)),
    );
    expect(calls('BatchGetAccounts')).toBe(1);
  });

  it('answers ownership checks after a portfolio read without another call', async () => {
    const ctx = context('user-1');
    await Query.portfolio(undefined, { accountId: 'acc-1' }, ctx);
    await authorizeAccount(ctx.portfolio, ctx.principal, 'acc-1');
    const err = await rejection(Query.portfolio(undefined, { accountId: 'acc-404' }, ctx));
    expect(err.extensions.code).toBe('FORBIDDEN');
    await expect(authorizeAccount(ctx.portfolio, ctx.principal, 'acc-404')).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    expect(calls('BatchGetAccounts')).toBe(0);
    expect(await ctx.portfolio.accounts.load('acc-1')).toEqual({
      id: 'acc-1',
      userId: 'user-1',
      name: 'Main',
    });
  });

  it('authorizeAccount: UNAUTHENTICATED, BAD_USER_INPUT, FORBIDDEN with one message, or passes', async () => {
    const { portfolio } = context();
    await expect(authorizeAccount(portfolio, null, 'acc-1')).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    await expect(authorizeAccount(portfolio, principal('user-1'), 'bad id')).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argument: 'accountId' },
    });
    const foreign = await rejection(authorizeAccount(portfolio, principal('user-1'), 'acc-4'));
    const unknown = await rejection(authorizeAccount(portfolio, principal('user-1'), 'acc-x'));
    expect([foreign.extensions.code, unknown.extensions.code]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(unknown.message).toBe(foreign.message);
    await expect(authorizeAccount(portfolio, principal('user-2'), 'acc-4')).resolves.toBeUndefined();
  });

  it.each<[string, string, Partial<FaultSettings>]>([
    ['hang', 'UPSTREAM_TIMEOUT', { outage: 'hang' }],
    ['latency beyond the deadline', 'UPSTREAM_TIMEOUT', { latencyMs: DEADLINE_MS * 3 }],
    ['error', 'UPSTREAM_UNAVAILABLE', { outage: 'error' }],
    ['reset', 'UPSTREAM_UNAVAILABLE', { outage: 'reset' }],
    ['garbage', 'UPSTREAM_UNAVAILABLE', { outage: 'garbage' }],
    ['every request failing', 'UPSTREAM_UNAVAILABLE', { errorRate: 1 }],
  ])('maps the %s fault to %s on every key, naming no host', async (_, code, faults) => {
    sandbox.control.setFaults(faults);
    const { portfolio } = context();
    const errors = await Promise.all(
      ['acc-1', 'acc-2', 'acc-3'].map((id) => rejection(portfolio.portfolios.load(id))),
    );
    expect(calls('BatchGetPortfolios')).toBe(1);
    const port = sandbox.target.split(':')[1]!;
    for (const err of errors) {
      expect(err.extensions).toEqual({ code, source: 'portfolio' });
      expect(err.message).not.toMatch(/127\.0\.0\.1|localhost/);
      expect(err.message).not.toContain(port);
      expect(err.stack ?? '').not.toContain(sandbox.target);
    }
  });

  it('reports a stopped upstream as UPSTREAM_UNAVAILABLE', async () => {
    const doomed = await startPortfolioSandbox();
    const over = createGrpcUpstream(portfolioService, {
      name: 'portfolio',
      address: doomed.target,
      deadlineMs: DEADLINE_MS,
    });
    try {
      await expect(Query.accounts(undefined, {}, context('user-2', over))).resolves.toHaveLength(1);
      await doomed.close();
      const err = await rejection(Query.accounts(undefined, {}, context('user-2', over)));
      expect(err.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', source: 'portfolio' });
      expect(err.message).not.toContain(doomed.target);
    } finally {
      over.close();
      await doomed.close();
    }
  });

  it('closes promptly while a call hangs', async () => {
    const hanging = await startPortfolioSandbox();
    const over = createGrpcUpstream(portfolioService, {
      name: 'portfolio',
      address: hanging.target,
      deadlineMs: 10_000,
    });
    try {
      hanging.control.setFaults({ outage: 'hang' });
      const pending = rejection(over.unary('Ping', {}));
      await expect.poll(() => hanging.control.stats.total).toBe(1);
      const started = Date.now();
      await hanging.close();
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await pending).message).toMatch(/UNAVAILABLE|CANCELLED/);
    } finally {
      over.close();
    }
  });

  it('refuses empty and oversized id lists with INVALID_ARGUMENT', async () => {
    for (const accountIds of [[], Array.from({ length: 1001 }, (_, i) => `acc-${i}`)]) {
      await expect(upstream.unary('BatchGetPortfolios', { accountIds })).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        status: 3,
      });
    }
  });

  it('resolves Position.token to a stub for market and averageCost to null when unknown', async () => {
    const source = createPortfolioSource(upstream);
    const result = await graphql({
      schema: buildExecutableSchema([source.typeDefs], [source.resolvers]),
      source:
        '{ accounts { id name } portfolio(accountId: "acc-2") { accountId positions { token { id } quantity averageCost } } }',
      contextValue: { principal: principal('user-1'), portfolio: source.createLoaders(scope()) },
    });
    expect(result.errors).toBeUndefined();
    const data = result.data as {
      accounts: { id: string; name: string }[];
      portfolio: {
        accountId: string;
        positions: { token: { id: string }; quantity: string; averageCost: string | null }[];
      };
    };
    expect(data.accounts.map((a) => a.id)).toEqual(['acc-1', 'acc-2', 'acc-3']);
    expect(data.portfolio.positions).toEqual(
      accountsById.get('acc-2')!.positions.map((p) => ({
        token: { id: p.tokenId },
        quantity: p.quantity,
        averageCost: p.averageCost,
      })),
    );
  });

  it('pings a live upstream', async () => {
    await expect(createPortfolioSource(upstream).ping(AbortSignal.timeout(1000))).resolves.toBeUndefined();
    expect(calls('Ping')).toBe(1);
  });
});

describe('portfolio sandbox', () => {
  it('serves the admin routes: faults, stats, reset', async () => {
    const post = (route: string, body?: unknown) =>
      fetch(`${sandbox.adminUrl}${route}`, {
        method: 'POST',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await post('/faults', { outage: 'error' })).status).toBe(200);
    await expect(upstream.unary('Ping', {})).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect((await post('/faults', { outage: 'sideways' })).status).toBe(400);
    const stats = (await (await fetch(`${sandbox.adminUrl}/stats`)).json()) as {
      stats: { total: number; byRoute: Record<string, number> };
      faults: FaultSettings;
    };
    expect(stats).toMatchObject({ stats: { total: 1, byRoute: { Ping: 1 } }, faults: { outage: 'error' } });
    expect((await post('/reset')).status).toBe(200);
    expect(sandbox.control.stats.total).toBe(0);
    await expect(upstream.unary('Ping', {})).resolves.toEqual({});
    expect((await fetch(`${sandbox.adminUrl}/nope`)).status).toBe(404);
  });

  it('records the traceparent of the last call', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    // The observer (tracing, in the gateway) is what puts trace context on a call's metadata.
    const traced = createGrpcUpstream(portfolioService, {
      name: 'portfolio',
      address: sandbox.target,
      resilience: noResilience,
      observer: {
        startCall: (_info, carrier) => {
          carrier.traceparent = traceparent;
          return () => {};
        },
        retry: () => {},
        circuitState: () => {},
      },
    });
    try {
      await traced.unary('Ping', {});
      expect(sandbox.control.stats.lastTraceparent).toBe(traceparent);
    } finally {
      traced.close();
    }
  });

  it('runs standalone: prints its ready line and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'sources/portfolio/sandbox/main.ts', '--port', '0', '--admin-port', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const ready = JSON.parse(line) as { sandbox: string; target: string; adminUrl: string };
      expect(ready.sandbox).toBe('portfolio');
      expect(ready.target).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(ready.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__sandbox$/);
      expect((await fetch(`${ready.adminUrl}/stats`)).status).toBe(200);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
