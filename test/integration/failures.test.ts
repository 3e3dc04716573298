import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceName } from '../../sources/index.js';
import { loadClientOperations } from '../../src/gateway/client-operations.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SCREEN = /* GraphQL */ `
  {
    token(id: "bitcoin") { id symbol price { usd } signal { rating } }
    portfolio(accountId: "acc-1") { accountId positions { quantity token { id price { usd } signal { rating } } } }
    orders(accountId: "acc-1") { id }
  }
`;

type Reply = Awaited<ReturnType<TestGateway['graphql']>>;

function codesByPath(reply: Reply): Record<string, string> {
  return Object.fromEntries(
    (reply.body.errors ?? []).map((e) => [(e.path ?? []).join('.'), String(e.extensions?.code)]),
  );
}

/** The text of a reply must not reveal where upstreams live or how they failed internally. */
function expectNoInternals(reply: Reply, gateway: TestGateway): void {
  const text = JSON.stringify(reply.body);
  for (const sandbox of Object.values(gateway.sandboxes)) {
    const port = new URL(sandbox.target.includes('://') ? sandbox.target : `grpc://${sandbox.target}`).port;
    expect(text).not.toContain(`:${port}`);
  }
  expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|"stack"|\.ts:\d+|<html>/i);
}

describe('a failing upstream costs only its own fields', () => {
  let gateway: TestGateway;
  // A gateway per case: the failures of one case open that source's circuit breaker (resilience.ts),
  // which would make the next case of the same source fail fast instead of showing its own fault.
  beforeEach(async () => {
    gateway = await startTestGateway({ env: { UPSTREAM_TIMEOUT_MS: '300' } });
  });
  afterEach(async () => {
    await gateway.close();
  });

  const cases: [SourceName, 'error' | 'hang' | 'reset' | 'garbage', string][] = [
    ['signals', 'error', 'UPSTREAM_UNAVAILABLE'],
    ['signals', 'hang', 'UPSTREAM_TIMEOUT'],
    ['signals', 'garbage', 'UPSTREAM_UNAVAILABLE'],
    ['market', 'error', 'UPSTREAM_UNAVAILABLE'],
    ['market', 'reset', 'UPSTREAM_UNAVAILABLE'],
    ['market', 'hang', 'UPSTREAM_TIMEOUT'],
    ['portfolio', 'error', 'UPSTREAM_UNAVAILABLE'],
    ['portfolio', 'hang', 'UPSTREAM_TIMEOUT'],
    ['trading', 'error', 'UPSTREAM_UNAVAILABLE'],
    ['trading', 'hang', 'UPSTREAM_TIMEOUT'],
  ];

  it.each(cases)(
    '%s answering %s: its fields are null with %s, the rest is served',
    async (source, outage, code) => {
      gateway.sandboxes[source].control.setFaults({ outage });
      const reply = await gateway.graphql(SCREEN);
      expect(reply.status).toBe(200);
      const data = reply.body.data as {
        token: { symbol: string; price: unknown; signal: unknown } | null;
        portfolio: { positions: { token: { price: unknown; signal: unknown } }[] } | null;
        orders: unknown[] | null;
      };
      const errors = codesByPath(reply);
      expect(Object.values(errors).every((c) => c === code)).toBe(true);
      expectNoInternals(reply, gateway);

      if (source === 'signals') {
        expect(data.token?.signal).toBeNull();
        expect(data.token?.price).not.toBeNull();
        expect(data.portfolio?.positions).toHaveLength(50);
        expect(
          data.portfolio?.positions.every((p) => p.token.signal === null && p.token.price !== null),
        ).toBe(true);
        expect(errors['token.signal']).toBe(code);
        expect(data.orders).toHaveLength(3);
      }
      if (source === 'market') {
        // token(id) is market's own root field: it is null; tokens reached through positions keep their ids.
        expect(data.token).toBeNull();
        expect(data.portfolio?.positions).toHaveLength(50);
        expect(
          data.portfolio?.positions.every((p) => p.token.price === null && p.token.signal !== undefined),
        ).toBe(true);
        expect(errors['portfolio.positions.0.token.price']).toBe(code);
        expect(data.orders).toHaveLength(3);
      }
      if (source === 'portfolio') {
        expect(data.token?.symbol).toBe('BTC');
        expect(data.portfolio).toBeNull();
        expect(errors.portfolio).toBe(code);
        // orders need the account-ownership check, which is portfolio's: refused, never skipped.
        expect(data.orders).toBeNull();
        expect(errors.orders).toBe(code);
      }
      if (source === 'trading') {
        expect(data.token?.symbol).toBe('BTC');
        expect(data.portfolio?.positions).toHaveLength(50);
        expect(data.orders).toBeNull();
        expect(errors.orders).toBe(code);
      }
    },
  );
});

describe('an upstream that is down', () => {
  it('answers UPSTREAM_UNAVAILABLE for its fields and /readyz names it', async () => {
    const gateway = await startTestGateway();
    try {
      await gateway.sandboxes.signals.close();
      const reply = await gateway.graphql(`{ token(id: "bitcoin") { symbol signal { rating } } }`);
      expect(reply.body.data).toEqual({ token: { symbol: 'BTC', signal: null } });
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        source: 'signals',
      });
      expectNoInternals(reply, gateway);

      const ready = await fetch(`${gateway.origin}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
      expect(body.checks.signals?.ok).toBe(false);
      expect(body.checks.market?.ok).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});

describe('a market outage under the shipped portfolio operations', () => {
  const shipped = loadClientOperations().filter((op) => /^(Web|Mobile)Portfolio$/.test(op.name));

  it('covers the web and mobile portfolio screens', () => {
    expect(shipped.map((op) => op.name).sort()).toEqual(['MobilePortfolio', 'WebPortfolio']);
  });

  it.each(shipped.map((op) => [op.name, op] as const))(
    '%s answers the positions with quantities and token ids, and errors with paths for the rest',
    async (_name, operation) => {
      const gateway = await startTestGateway({ env: { UPSTREAM_TIMEOUT_MS: '300' } });
      try {
        gateway.sandboxes.market.control.setFaults({ outage: 'error' });
        const reply = await gateway.graphql(operation.body, { accountId: 'acc-1' });
        expect(reply.status).toBe(200);
        const portfolio = reply.body.data?.portfolio as {
          accountId: string;
          positions: { quantity: string; token: { id: string; symbol: string | null; price: unknown } }[];
        } | null;
        expect(portfolio?.accountId).toBe('acc-1');
        expect(portfolio?.positions).toHaveLength(50);
        for (const position of portfolio?.positions ?? []) {
          expect(position.quantity).toMatch(/^\d+(\.\d+)?$/);
          expect(position.token.id).toMatch(/^[a-z0-9-]+$/);
          expect(position.token.symbol).toBeNull();
          expect(position.token.price).toBeNull();
        }
        const errors = codesByPath(reply);
        expect(errors['portfolio.positions.0.token.symbol']).toBe('UPSTREAM_UNAVAILABLE');
        expect(errors['portfolio.positions.0.token.price']).toBe('UPSTREAM_UNAVAILABLE');
        expect(Object.values(errors).every((code) => code === 'UPSTREAM_UNAVAILABLE')).toBe(true);
        expect(Object.keys(errors).some((path) => !path.startsWith('portfolio.positions.'))).toBe(false);
        expectNoInternals(reply, gateway);
      } finally {
        await gateway.close();
      }
    },
  );
});
