/**
 * OpenTelemetry tracing, on only when the OTEL_* configuration asks for an exporter. Then main.ts
 * builds one tracer provider (batched OTLP/HTTP export) and passes its tracer to the tracing plugin
 * and the upstream observer. Nothing is registered globally: with tracing off no tracer exists, no
 * plugin is installed and no upstream call carries a `traceparent`, so the hot path pays nothing.
 */
import type { Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';

/** The standard OTEL_TRACES_SAMPLER values. */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** Tracing settings, read from the standard OTEL_* variables by config.ts. */
export interface TracingConfig {
  /** `otlp`: OTLP over HTTP with JSON bodies; `console`: spans printed to stdout (debugging). */
  exporter: 'otlp' | 'console';
  /** Full URL spans are POSTed to, e.g. `http://collector:4318/v1/traces`. */
  endpoint: string;
  /** Extra headers of export requests (OTEL_EXPORTER_OTLP_HEADERS), e.g. a collector's API key. */
  headers: Record<string, string>;
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES. */
  resourceAttributes: Record<string, string>;
  sampler: SamplerName;
  /** Ratio of the `traceidratio` samplers, 0..1. */
  samplerRatio: number;
}

/** A running tracer provider. */
export interface Tracing {
  readonly tracer: Tracer;
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

/** Builds the provider for a config; `exporter` replaces the configured one (tests). */
export function createTracing(config: TracingConfig, logger: Logger, exporter?: SpanExporter): Tracing {
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ ...config.resourceAttributes, [ATTR_SERVICE_NAME]: config.serviceName }),
    ),
    sampler: createSampler(config.sampler, config.samplerRatio),
    spanProcessors: [new BatchSpanProcessor(reportingFailures(exporter ?? createExporter(config), logger))],
  });
  return {
    tracer: provider.getTracer('switchyard'),
    shutdown: () => provider.shutdown(),
  };
}

function createExporter(config: TracingConfig): SpanExporter {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  return new OTLPTraceExporter({ url: config.endpoint, headers: config.headers });
}

function createSampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * The SDK reports export failures only through its diagnostics channel, which nobody reads: a
 * collector that is down would lose every span in silence. Failures are logged at most once a
 * minute, with the error's message only (never the export headers, which may hold credentials).
 */
function reportingFailures(exporter: SpanExporter, logger: Logger): SpanExporter {
  let lastReport = 0;
  let failedSince = 0;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) {
          failedSince += spans.length;
          const now = Date.now();
          if (now - lastReport >= 60_000) {
            logger.warn(
              {
                err: result.error ? { message: result.error.message } : undefined,
                droppedSpans: failedSince,
              },
              'trace export failed',
            );
            lastReport = now;
            failedSince = 0;
          }
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
  };
}
