/**
 * What one request did, gathered once and read by the metrics, the trace and the access log:
 * operation, principal, outcome, error codes, upstream calls. Kept on the request (a request slot,
 * like the request id), so it lives exactly as long as the request.
 */

import type { Span } from '@opentelemetry/api';
import { isErrorCode } from '../errors.js';
import { requestSlot } from '../gateway/request-slot.js';
import { isClientFault } from '../upstream/error-class.js';
import type { UpstreamCallScope } from '../upstream/observer.js';
import type { RequestOutcome } from './metrics.js';

/** The parts of a principal a log line may carry: identifiers, never credentials. */
export interface PrincipalFacts {
  readonly userId: string;
  readonly clientId?: string | undefined;
  readonly via?: string | undefined;
  readonly keyId?: string | undefined;
  readonly keyVersion?: number | undefined;
}

/** One request's telemetry. The upstream part is handed to sources through RequestScope. */
export interface RequestTelemetry extends UpstreamCallScope {
  /** `performance.now()` when the request arrived. */
  readonly start: number;
  readonly method: string;
  /** URL path, without the query string (which may carry variables). */
  readonly path: string;
  /** Operation name: from the executed document, else as the client sent it. */
  operationName: string | undefined;
  operationType: 'query' | 'mutation' | 'subscription' | undefined;
  principal: PrincipalFacts | undefined;
  /** Mutation variables, kept for the audit line of the access log (redacted when written). */
  variables: Readonly<Record<string, unknown>> | undefined;
  /** Catalogue codes of the errors in the response, in order. */
  errorCodes: string[];
  outcome: RequestOutcome | undefined;
  /** The client closed the connection before its body arrived: nobody reads the answer. */
  clientAborted: boolean;
  /** The request's server span (tracing on). */
  span: Span | undefined;
  traceId: string | undefined;
}

const records = requestSlot<Request, RequestTelemetry>('requestTelemetry');

/** Starts the record of a request (`useRequestTelemetry` does, as the request arrives). */
export function startRequestTelemetry(request: Request, path: string): RequestTelemetry {
  const record: RequestTelemetry = {
    start: performance.now(),
    method: request.method,
    path,
    operationName: undefined,
    operationType: undefined,
    principal: undefined,
    variables: undefined,
    errorCodes: [],
    outcome: undefined,
    clientAborted: false,
    span: undefined,
    traceId: undefined,
    upstreamCalls: 0,
    upstreamErrors: [],
    traceContext: undefined,
  };
  records.set(request, record);
  return record;
}

/** The record of a request; undefined for requests not recorded (health probes, /metrics). */
export function findRequestTelemetry(request: Request): RequestTelemetry | undefined {
  return records.get(request);
}

/** The record of a request, started now if nothing started it (a context built outside Yoga's hooks). */
export function requestTelemetryOf(request: Request): RequestTelemetry {
  return records.get(request) ?? startRequestTelemetry(request, new URL(request.url).pathname);
}

/** nginx's "client closed request": the status logged for a request whose client went away. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Records that the client of a request went away: before its body arrived (useSignedMutations'
 * parser) or while its operation ran (useRequestTelemetry).
 */
export function markClientAborted(request: Request): void {
  const record = findRequestTelemetry(request);
  if (record) record.clientAborted = true;
}

/** The status a finished request is logged with: 499 when its client went away, else the response's. */
export function statusOfResponse(record: RequestTelemetry, status: number): number {
  return record.clientAborted ? CLIENT_CLOSED_REQUEST : status;
}

/** The outcome of a finished request: from its GraphQL result, else from its HTTP status. */
export function outcomeOfResponse(record: RequestTelemetry, status: number): RequestOutcome {
  // The client's departure, not the error answered to nobody, is what happened.
  if (record.clientAborted) return 'client_aborted';
  if (record.outcome !== undefined) return record.outcome;
  if (status < 400) return 'ok';
  return status < 500 ? 'client_error' : 'server_error';
}

/** The outcome of a GraphQL result from whether it has data and its error codes. */
export function outcomeOfResult(hasData: boolean, codes: readonly string[]): RequestOutcome {
  if (codes.length === 0) return 'ok';
  if (hasData) return 'partial';
  // The catalogue's status decides (5xx: the gateway's or an upstream's fault), as everywhere else.
  return codes.some((code) => !isClientFault(code)) ? 'server_error' : 'client_error';
}

/** The catalogue code of each error; anything without one counts as INTERNAL_SERVER_ERROR. */
export function errorCodesOf(
  errors: readonly { extensions?: Record<string, unknown> }[] | undefined,
): string[] {
  if (!errors) return [];
  return errors.map((error) => {
    const code = error.extensions?.code;
    return isErrorCode(code) ? code : 'INTERNAL_SERVER_ERROR';
  });
}
