/**
 * Internal upstream failures. They carry a `code` from the catalogue and server-side details
 * (status, cause) for logs; `toClientError` turns one into the client-safe GraphQL error.
 */
import type { GraphQLError } from 'graphql';
import { type ErrorCode, gatewayError } from '../errors.js';

export type UpstreamErrorCode = Extract<
  ErrorCode,
  'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT' | 'NOT_FOUND' | 'BAD_USER_INPUT'
>;

/** A failed upstream call. `detail` is for server logs only: it may name hosts or statuses. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly code: UpstreamErrorCode,
    readonly source: string,
    readonly detail: string,
    options?: { cause?: unknown; status?: number; retryAfterMs?: number | undefined },
  ) {
    super(`${source}: ${detail}`, options);
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
  }
  /** The upstream's own status: HTTP status code or gRPC status code, when it answered. */
  readonly status: number | undefined;
  /** How long the upstream asked us to wait before trying again (`Retry-After` of a 503/429), in ms. */
  readonly retryAfterMs: number | undefined;
}

/** Whether an error is an UpstreamError (matched on shape, not instanceof). */
export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof Error && err.name === 'UpstreamError' && 'source' in err && 'code' in err;
}

const clientMessages: Record<UpstreamErrorCode, (source: string) => string> = {
  UPSTREAM_UNAVAILABLE: (source) => `The ${source} service is unavailable.`,
  UPSTREAM_TIMEOUT: (source) => `The ${source} service did not answer in time.`,
  NOT_FOUND: () => 'Not found.',
  BAD_USER_INPUT: (source) => `The ${source} service refused the input.`,
};

/** The client-facing error for an upstream failure: the code, the source name, nothing internal. */
export function toClientError(err: UpstreamError, message?: string): GraphQLError {
  return gatewayError(err.code, message ?? clientMessages[err.code](err.source), { source: err.source });
}
