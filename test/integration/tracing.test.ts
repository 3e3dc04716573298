import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceName } from '../../sources/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** One query that reaches all four upstreams: portfolio and trading (gRPC), market and signals (REST). */
const SCREEN = /* GraphQL */ `
  query Screen {
    portfolio(accountId: "acc-1") { positions { quantity token { symbol price { usd } signal { rating } } } }
    orders(accountId: "acc-1") { id status }
  }
`;

const CLIENT_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** A local OTLP/HTTP receiver: what the exporter POSTs to /v1/traces (JSON bodies). */
async function startReceiver(): Promise<{
  endpoint: string;
  requests: { path: string; contentType: string | undefined; body: unknown }[];
  spans(): ExportedSpan[];
  close(): Promise<void>;
}> {
  const requests: { path: string; contentType: string | undefined; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: JSON.parse(body),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spans: () =>
      requests.flatMap((request) =>
        (
          request.body as {
            resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[];
          }
        ).resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)),
      ),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function traceIdOf(traceparent: string | null): string | undefined {
  return traceparent?.split('-')[1];
}

function attribute(span: ExportedSpan, key: string): unknown {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value && Object.values(value)[0];
}

describe('tracing', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function tracedGateway(endpoint: string): Promise<TestGateway> {
    const gateway = await startTestGateway({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await gateway.close();
    });
    return {
      ...gateway,
      close: async () => {
        closed = true;
        await gateway.close();
      },
    };
  }

  it('propagates one trace id to all four upstreams, continuing the client trace', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const gateway = await tracedGateway(receiver.endpoint);
    gateway.resetSandboxes();
    const reply = await gateway.graphql(SCREEN, undefined, {
      ...gateway.as('user-1'),
      traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`,
    });
    expect(reply.body.errors).toBeUndefined();
    const received = Object.fromEntries(
      (['market', 'signals', 'portfolio', 'trading'] as SourceName[]).map((name) => [
        name,
        gateway.sandboxes[name].control.stats.lastTraceparent,
      ]),
    );
    for (const [name, traceparent] of Object.entries(received)) {
      expect(traceparent, name).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(traceIdOf(traceparent), name).toBe(CLIENT_TRACE_ID);
    }

    await gateway.close(); // flushes the batched spans
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests[0]!.path).toBe('/v1/traces');
    expect(receiver.requests[0]!.contentType).toMatch(/^application\/json/);
    const spans = receiver.spans().filter((span) => span.traceId === CLIENT_TRACE_ID);
    const named = (name: string) => {
      const span = spans.find((candidate) => candidate.name === name);
      expect(span, `span ${name} among ${spans.map((s) => s.name).join(', ')}`).toBeDefined();
      return span!;
    };
    const server = named('POST /graphql');
    expect(server.parentSpanId).toBe(CLIENT_SPAN_ID);
    expect(attribute(server, 'http.response.status_code')).toBe(200);
    expect(named('graphql.parse').parentSpanId).toBe(server.spanId);
    expect(named('graphql.validate').parentSpanId).toBe(server.spanId);
    const execute = named('query Screen');
    expect(execute.parentSpanId).toBe(server.spanId);
    expect(attribute(execute, 'graphql.operation.name')).toBe('Screen');
    const upstream = [
      named('switchyard.portfolio.v1.PortfolioService/BatchGetAccounts'),
      named('switchyard.portfolio.v1.PortfolioService/BatchGetPortfolios'),
      named('switchyard.trading.v1.TradingService/ListOrders'),
      named('GET /v1/tokens'),
      named('GET /v1/signals'),
    ];
    for (const span of upstream) expect(span.parentSpanId, span.name).toBe(execute.spanId);
    // What each upstream received names its own client span as parent.
    expect(received.signals?.split('-')[2]).toBe(named('GET /v1/signals').spanId);
    expect(received.trading?.split('-')[2]).toBe(
      named('switchyard.trading.v1.TradingService/ListOrders').spanId,
    );
  });

  it('starts a new trace when the client sends none, the same one at every upstream', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const gateway = await tracedGateway(receiver.endpoint);
    gateway.resetSandboxes();
    expect((await gateway.graphql(SCREEN)).body.errors).toBeUndefined();
    const ids = (['market', 'signals', 'portfolio', 'trading'] as SourceName[]).map((name) =>
      traceIdOf(gateway.sandboxes[name].control.stats.lastTraceparent),
    );
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(1);
    await gateway.close();
    expect(receiver.spans().some((span) => span.traceId === ids[0] && span.name === 'POST /graphql')).toBe(
      true,
    );
  });

  it('is off without OTEL configuration: nothing is propagated, even a client traceparent', async () => {
    const gateway = await startTestGateway();
    cleanups.push(() => gateway.close());
    gateway.resetSandboxes();
    const reply = await gateway.graphql(SCREEN, undefined, {
      ...gateway.as('user-1'),
      traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`,
    });
    expect(reply.body.errors).toBeUndefined();
    expect(gateway.calls().signals).toBeGreaterThan(0);
    for (const sandbox of Object.values(gateway.sandboxes))
      expect(sandbox.control.stats.lastTraceparent).toBeNull();
  });
});
