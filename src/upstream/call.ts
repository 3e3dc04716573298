/**
 * The upstream call contract every source uses, whatever its transport: one set of per-call options
 * (the request's abort signal, id and telemetry), and, per request, one place that makes calls with
 * them and turns their failures into client errors after logging the server-side detail.
 */
import type { Logger } from 'pino';
import { failureCaseOf, isUpstreamError, toClientError, type UpstreamFailureCases } from './errors.js';
import type { UpstreamCallScope } from './observer.js';

/** Per-call options of every upstream call (HTTP and gRPC alike). */
export interface UpstreamCallOptions {
  /** Aborted when the client disconnects: the call is abandoned. */
  readonly signal?: AbortSignal | undefined;
  /** The gateway's request id, forwarded as `x-request-id` (HTTP header, gRPC metadata). */
  readonly requestId?: string | undefined;
  /** The request's telemetry, passed to the observer (metrics, logs, trace propagation). */
  readonly scope?: UpstreamCallScope | undefined;
}

/** What the plumbing reads of the request a source serves (the gateway's `RequestScope`). */
export interface UpstreamRequest {
  readonly requestId: string;
  readonly signal: AbortSignal;
  /** Child logger of the request: failed calls are logged here with their detail. */
  readonly log: Logger;
  readonly telemetry?: UpstreamCallScope | undefined;
}

/** The upstream calls of one request: their options, and their failures mapped to client errors. */
export interface UpstreamCalls {
  /** Options carrying the request's signal, id and telemetry: pass them to every client call. */
  readonly options: UpstreamCallOptions;
  /** Makes one call with `options`; a failure is rethrown as `failure(err, cases)` says. */
  run<T>(call: (options: UpstreamCallOptions) => Promise<T>, cases?: UpstreamFailureCases): Promise<T>;
  /**
   * What to throw for a failed call: an UpstreamError becomes its client error (`toClientError`),
   * its detail logged first unless the client has gone or its case says not to; anything else is
   * returned untouched, so that the error mask hides it and logs it in full.
   */
  failure(err: unknown, cases?: UpstreamFailureCases): unknown;
}

/** Binds upstream calls to one request: a source builds it with the request's loaders. */
export function createUpstreamCalls(request: UpstreamRequest): UpstreamCalls {
  const options: UpstreamCallOptions = {
    signal: request.signal,
    requestId: request.requestId,
    scope: request.telemetry,
  };

  function failure(err: unknown, cases: UpstreamFailureCases = []): unknown {
    if (!isUpstreamError(err)) return err;
    // Nobody reads the outcome of a request whose client has gone: its aborted calls are not news.
    const logged = !request.signal.aborted && (failureCaseOf(err, cases)?.log ?? true);
    // The client error keeps nothing of the cause: the detail is only ever seen in server logs.
    if (logged) request.log.warn({ err, source: err.source, code: err.code }, `${err.source} call failed`);
    return toClientError(err, cases);
  }

  return {
    options,
    async run(call, cases) {
      try {
        return await call(options);
      } catch (err) {
        throw failure(err, cases);
      }
    },
    failure,
  };
}
