/**
 * `tsx bench/telemetry-micro.ts`: what the observability hooks cost per request, in microseconds,
 * measured in-process (the load benchmark cannot resolve a few µs on a shared machine). One
 * "request" runs every hook the portfolio query meets — request record, metrics (request, operation,
 * three upstream calls), access log line (JSON, to a discarding stream) — through the real plugin
 * objects; tracing on adds the spans (exported to nowhere). Medians of 15 batches of 5000.
 */
import { parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { pino } from 'pino';
import { useAccessLog } from '../src/plugins/use-access-log.js';
import { useMetrics } from '../src/plugins/use-metrics.js';
import { useRequestTelemetry } from '../src/plugins/use-request-telemetry.js';
import { useTracing } from '../src/plugins/use-tracing.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { findRequestTelemetry } from '../src/telemetry/request-telemetry.js';
import { createTracing } from '../src/telemetry/tracing.js';
import { createUpstreamTelemetry } from '../src/telemetry/upstream-telemetry.js';

const BATCHES = 15;
const PER_BATCH = 5000;

const document = parse(
  'query Portfolio($accountId: ID!) { portfolio(accountId: $accountId) { positions { quantity } } }',
);
const logger = pino({ level: 'info' }, { write: () => {} });
const principal = { userId: 'user-1', clientId: 'user-1', via: 'api-key', keyId: 'k1', keyVersion: 1 };
const url = new URL('http://127.0.0.1/graphql');

// The hooks are called with just the fields they read; the casts stand in for Yoga's full payloads.
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyHook = (payload: any) => any;
const hook = (plugin: Plugin, name: string): AnyHook | undefined =>
  (plugin as Record<string, AnyHook | undefined>)[name];

function simulate(plugins: Plugin[], observer: ReturnType<typeof createUpstreamTelemetry>): () => void {
  const on = (name: string) => plugins.map((plugin) => hook(plugin, name)).filter((fn) => fn !== undefined);
  const [onRequest, onParams, onExecute, onResultProcess, onResponse] = [
    on('onRequest'),
    on('onParams'),
    on('onExecute'),
    on('onResultProcess'),
    on('onResponse'),
  ];
  const response = new Response(null, { status: 200 });
  const result = { data: { portfolio: { positions: [] } } };
  return () => {
    const request = new Request(url, { method: 'POST' });
    for (const fn of onRequest) fn({ request, url });
    for (const fn of onParams) fn({ request, params: { operationName: 'Portfolio' } });
    const args = {
      document,
      operationName: 'Portfolio',
      variableValues: { accountId: 'acc-1' },
      contextValue: { request, principal },
    };
    const done = onExecute.map((fn) => fn({ args })?.onExecuteDone).filter(Boolean);
    const scope = findRequestTelemetry(request);
    for (const [source, operation] of [
      ['portfolio', 'BatchGetPortfolios'],
      ['market', '/v1/tokens'],
      ['signals', '/v1/signals'],
    ] as const) {
      const carrier: Record<string, string> = {};
      observer.startCall({ source, transport: 'http', method: 'GET', operation, scope }, carrier)(
        'ok',
        undefined,
        200,
      );
    }
    for (const fn of done) fn({ args, result });
    for (const fn of onResultProcess) fn({ request, result });
    for (const fn of onResponse) fn({ request, response });
  };
}

function medianMicros(label: string, run: () => void): number {
  for (let i = 0; i < PER_BATCH * 2; i++) run();
  const batches: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_BATCH; i++) run();
    batches.push(Number(process.hrtime.bigint() - start) / 1000 / PER_BATCH);
  }
  batches.sort((a, b) => a - b);
  const median = batches[Math.floor(BATCHES / 2)]!;
  console.log(`${label.padEnd(58)} median ${median.toFixed(2)} µs/request`);
  return median;
}

const baseline = medianMicros('request and response objects only (subtracted below)', () => {
  void new Request(url, { method: 'POST' });
});
const metrics = createMetrics({ processMetrics: false });
const off = medianMicros(
  'tracing off: record, metrics, 3 upstream calls, access log',
  simulate(
    [useRequestTelemetry(), useMetrics({ metrics }), useAccessLog({ logger })],
    createUpstreamTelemetry({ metrics }),
  ),
);
const tracing = createTracing(
  {
    exporter: 'otlp',
    endpoint: 'http://127.0.0.1:9/v1/traces',
    headers: {},
    serviceName: 'bench',
    resourceAttributes: {},
    sampler: 'always_on',
    samplerRatio: 1,
  },
  pino({ level: 'silent' }),
  { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} },
);
const on = medianMicros(
  'tracing on: the same plus request, execute and 3 client spans',
  simulate(
    [
      useRequestTelemetry(),
      useTracing({ tracer: tracing.tracer }),
      useMetrics({ metrics }),
      useAccessLog({ logger }),
    ],
    createUpstreamTelemetry({ metrics, tracer: tracing.tracer }),
  ),
);
await tracing.shutdown();
console.log(
  `\nobservability per request: ${(off - baseline).toFixed(1)} µs with tracing off, ${(on - baseline).toFixed(1)} µs with tracing on`,
);
