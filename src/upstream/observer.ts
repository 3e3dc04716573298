/**
 * How the upstream plumbing reports its calls: an observer injected when the upstreams are created
 * (src/main.ts → registry), so that metrics and tracing stay out of the sources and the sources stay
 * independent of the server. Without an observer the plumbing reports nothing and pays nothing.
 */
import type { Context } from '@opentelemetry/api';
import { isClientFault } from './error-class.js';

/** How one upstream call ended, as a bounded metric label. */
export type UpstreamOutcome =
  /** The upstream answered as the contract says. */
  | 'ok'
  /** The upstream answered and refused (HTTP 400/404, gRPC INVALID_ARGUMENT/NOT_FOUND/…). */
  | 'rejected'
  /** Transport failure, 5xx, an unavailable status, or a body that is not the contract. */
  | 'error'
  /** No answer within the timeout / deadline. */
  | 'timeout'
  /** The client of the request went away and the call was cancelled. */
  | 'aborted';

/**
 * Per-request state the gateway hands down with every call (the `scope` of UpstreamCallOptions).
 * The plumbing never reads it: it passes it to the observer, which records into it.
 */
export interface UpstreamCallScope {
  /** Upstream calls made for the request so far. */
  upstreamCalls: number;
  /** Catalogue codes of the request's failed upstream calls, in order. */
  readonly upstreamErrors: string[];
  /** Context holding the span upstream calls are children of; undefined when tracing is off. */
  traceContext: Context | undefined;
}

/** What an observer learns when a call starts. */
export interface UpstreamCallInfo {
  /** Source name (`market`, `portfolio`). */
  readonly source: string;
  readonly transport: 'http' | 'grpc';
  /** HTTP method (`GET`), or the gRPC service (`switchyard.trading.v1.TradingService`). */
  readonly method: string;
  /**
   * Bounded name of the call: the route template (`/v1/tokens/{id}`) or, when the source names
   * none, the path without its query; the RPC name for gRPC (`PlaceOrder`).
   */
  readonly operation: string;
  /** The request the call serves; undefined for calls outside a request (readiness probes). */
  readonly scope: UpstreamCallScope | undefined;
}

/** Ends one observed call; `code` is the catalogue code of a failure, `status` the upstream's own status. */
export type UpstreamCallEnd = (outcome: UpstreamOutcome, code?: string, status?: number) => void;

/** Receives every upstream call, retry and circuit-breaker transition. */
export interface UpstreamObserver {
  /**
   * Called as a call starts. It may add entries to `carrier` (HTTP headers / gRPC metadata), which
   * the plumbing sends: that is how `traceparent` reaches the upstream. Returns the function the
   * plumbing calls exactly once when the call has ended.
   */
  startCall(info: UpstreamCallInfo, carrier: Record<string, string>): UpstreamCallEnd;
  /** An idempotent call is retried (resilience layer). */
  retry(source: string, operation: string): void;
  /** A source's circuit breaker changed state. */
  circuitState(source: string, state: CircuitState): void;
}

export type CircuitState = 'closed' | 'half_open' | 'open';

/** The outcome of a failed call from its catalogue code; a call of a request whose client left is `aborted`. */
export function outcomeOf(code: string, aborted: boolean): UpstreamOutcome {
  if (aborted) return 'aborted';
  if (code === 'UPSTREAM_TIMEOUT') return 'timeout';
  return isClientFault(code) ? 'rejected' : 'error';
}
