/**
 * OpenTelemetry spans: one server span per request (continuing the client's W3C `traceparent` when
 * it sends one), a child span per GraphQL phase (parse, validate, execute). Upstream spans are opened
 * by the upstream observer (src/telemetry/upstream-telemetry.ts) under the span current in the
 * request's record, so every upstream call joins the request's trace. Installed only when tracing
 * is on: off, it costs nothing.
 */
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { Plugin } from 'graphql-yoga';
import { requestSlot } from '../gateway/request-slot.js';
import { findRequestTelemetry, type RequestTelemetry } from '../telemetry/request-telemetry.js';
import { requestIdOf } from './use-request-id.js';

export interface TracingPluginOptions {
  tracer: Tracer;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

export function useTracing({ tracer }: TracingPluginOptions): Plugin {
  /** The request span's context, to return to after each phase. */
  const requestContexts = requestSlot<RequestTelemetry, Context>('traceContext');

  const startPhase = (request: Request | undefined, name: string): Span | undefined => {
    const record = request && findRequestTelemetry(request);
    return record?.traceContext && tracer.startSpan(name, { kind: SpanKind.INTERNAL }, record.traceContext);
  };

  return {
    onRequest({ request }) {
      const record = findRequestTelemetry(request);
      if (!record) return;
      const parent = propagator.extract(ROOT_CONTEXT, request.headers, headerGetter);
      const span = tracer.startSpan(
        `${record.method} ${record.path}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: record.method,
            [ATTR_URL_PATH]: record.path,
            [ATTR_HTTP_ROUTE]: record.path,
            'switchyard.request_id': requestIdOf(request),
          },
        },
        parent,
      );
      record.span = span;
      record.traceId = span.spanContext().traceId;
      record.traceContext = trace.setSpan(parent, span);
      requestContexts.set(record, record.traceContext);
    },
    onParse({ context }) {
      const span = startPhase(context.request, 'graphql.parse');
      if (!span) return;
      return ({ result }) => {
        if (result instanceof Error) fail(span, result, 'GRAPHQL_PARSE_FAILED');
        span.end();
      };
    },
    onValidate({ context }) {
      const span = startPhase(context.request, 'graphql.validate');
      if (!span) return;
      return ({ valid }) => {
        if (!valid) fail(span, undefined, 'GRAPHQL_VALIDATION_FAILED');
        span.end();
      };
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const record = request && findRequestTelemetry(request);
      const requestContext = record && requestContexts.get(record);
      if (!record || !requestContext) return;
      const type = record.operationType ?? 'query';
      const span = tracer.startSpan(
        record.operationName ? `${type} ${record.operationName}` : type,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'graphql.operation.type': type,
            ...(record.operationName ? { 'graphql.operation.name': record.operationName } : {}),
          },
        },
        requestContext,
      );
      // Upstream calls made while executing are children of the execute span.
      record.traceContext = trace.setSpan(requestContext, span);
      return {
        onExecuteDone({ result }) {
          record.traceContext = requestContext;
          if (!(Symbol.asyncIterator in result) && result.errors?.length) {
            fail(span, undefined, String(result.errors[0]?.extensions?.code ?? 'GRAPHQL_ERROR'));
          }
          span.end();
        },
      };
    },
    onResponse({ request, response }) {
      const record = findRequestTelemetry(request);
      const span = record?.span;
      if (!record || !span) return;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      if (record.operationName) span.setAttribute('graphql.operation.name', record.operationName);
      if (record.operationType) span.setAttribute('graphql.operation.type', record.operationType);
      span.setAttribute('switchyard.upstream_calls', record.upstreamCalls);
      if (response.status >= 500) fail(span, undefined, String(response.status));
      span.end();
    },
  };
}

function fail(span: Span, err: Error | undefined, type: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(err ? { message: err.message } : {}) });
}
