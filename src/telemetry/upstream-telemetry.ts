/**
 * The gateway's UpstreamObserver: counts every upstream call in the metrics, attributes it to its
 * request (the access log's call count and error codes), and — when tracing is on — opens a client
 * span under the request's current span and injects its W3C `traceparent` into the call's headers or
 * metadata. Built in main.ts and given to the upstreams when they are created.
 */
import { SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions';
import type { UpstreamCallEnd, UpstreamObserver } from '../upstream/observer.js';
import type { GatewayMetrics } from './metrics.js';

export interface UpstreamTelemetryOptions {
  metrics: GatewayMetrics;
  /** Tracing on: client spans and `traceparent` propagation. @default none: no spans, no headers */
  tracer?: Tracer | undefined;
}

const propagator = new W3CTraceContextPropagator();
const setter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};

/** Creates the observer every upstream of one gateway instance reports to. */
export function createUpstreamTelemetry({ metrics, tracer }: UpstreamTelemetryOptions): UpstreamObserver {
  return {
    startCall(info, carrier): UpstreamCallEnd {
      const started = performance.now();
      const { scope } = info;
      if (scope) scope.upstreamCalls++;
      let span: ReturnType<Tracer['startSpan']> | undefined;
      if (tracer && scope?.traceContext) {
        const grpc = info.transport === 'grpc';
        span = tracer.startSpan(
          grpc ? `${info.method}/${info.operation}` : `${info.method} ${info.operation}`,
          {
            kind: SpanKind.CLIENT,
            attributes: grpc
              ? {
                  'rpc.system': 'grpc',
                  'rpc.service': info.method,
                  'rpc.method': info.operation,
                  'peer.service': info.source,
                }
              : {
                  [ATTR_HTTP_REQUEST_METHOD]: info.method,
                  'url.template': info.operation,
                  'peer.service': info.source,
                },
          },
          scope.traceContext,
        );
        propagator.inject(trace.setSpan(scope.traceContext, span), carrier, setter);
      }
      return (outcome, code, status) => {
        metrics.observeUpstream(info.source, info.operation, outcome, (performance.now() - started) / 1000);
        if (code !== undefined && scope) scope.upstreamErrors.push(code);
        if (!span) return;
        if (status !== undefined) {
          span.setAttribute(
            info.transport === 'grpc' ? 'rpc.grpc.status_code' : ATTR_HTTP_RESPONSE_STATUS_CODE,
            status,
          );
        }
        if (outcome !== 'ok') {
          span.setAttribute(ATTR_ERROR_TYPE, code ?? outcome);
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        }
        span.end();
      };
    },
    retry(source, operation) {
      metrics.countRetry(source, operation);
    },
    circuitState(source, state) {
      metrics.setCircuitState(source, state);
    },
  };
}
