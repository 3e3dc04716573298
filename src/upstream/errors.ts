/**
 * Internal upstream failures and the one mapper from them to client errors. An UpstreamError
 * carries a `code` from the catalogue and server-side details (status, cause) for logs;
 * `toClientError` turns one into the client-safe GraphQL error, with a source's own readings of
 * some failures given as data (`UpstreamFailureCase`), e.g. trading's ambiguous PlaceOrder timeout.
 */
import type { GraphQLError } from 'graphql';
import { type ErrorCode, type ErrorDetails, gatewayError } from '../errors.js';

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
    options?: { cause?: unknown; status?: number; retryAfterMs?: number | undefined; body?: unknown },
  ) {
    super(`${source}: ${detail}`, options);
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
    // Not enumerable: never serialised into a log line with the error.
    Object.defineProperty(this, 'body', { value: options?.body, enumerable: false });
  }
  /** The upstream's parsed error body, when the call asked for it (HttpCallOptions.clientErrors). */
  declare readonly body: unknown;
  /** The upstream's own status: HTTP status code or gRPC status code, when it answered. */
  readonly status: number | undefined;
  /** How long the upstream asked us to wait before trying again (`Retry-After` of a 503/429), in ms. */
  readonly retryAfterMs: number | undefined;
}

/** Whether an error is an UpstreamError (matched on shape, not instanceof). */
export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof Error && err.name === 'UpstreamError' && 'source' in err && 'code' in err;
}

/**
 * A source's own answer to some failures of one call, instead of the default client error. It
 * matches on what the failure is, never on its text: its catalogue code, its upstream status, or both.
 */
export interface UpstreamFailureCase {
  /** Matches failures of this catalogue code. @default any code */
  readonly failure?: UpstreamErrorCode;
  /** Matches failures with this upstream status (HTTP status, or gRPC status code). @default any status */
  readonly status?: number;
  /** Catalogue code of the client error answered. */
  readonly answer: ErrorCode;
  /** Its message. */
  readonly message: string;
  /** Client-safe extensions besides `code` and `source`. */
  readonly details?: ErrorDetails;
  /**
   * Whether the failure's detail is logged. A refusal that is the client's doing (an order that
   * cannot be cancelled) need not be. @default true
   */
  readonly log?: boolean;
}

/** A call's failure cases, tried in order; the first that matches answers. */
export type UpstreamFailureCases = readonly UpstreamFailureCase[];

/** The case of `cases` that answers `err`, if any. */
export function failureCaseOf(
  err: UpstreamError,
  cases: UpstreamFailureCases,
): UpstreamFailureCase | undefined {
  return cases.find(
    (entry) =>
      (entry.failure === undefined || entry.failure === err.code) &&
      (entry.status === undefined || entry.status === err.status),
  );
}

const clientMessages: Record<UpstreamErrorCode, (source: string) => string> = {
  UPSTREAM_UNAVAILABLE: (source) => `The ${source} service is unavailable.`,
  UPSTREAM_TIMEOUT: (source) => `The ${source} service did not answer in time.`,
  NOT_FOUND: () => 'Not found.',
  BAD_USER_INPUT: (source) => `The ${source} service refused the input.`,
};

/**
 * The client-facing error for an upstream failure: the first matching case's answer, else the
 * failure's own code with a message naming the source; `extensions.source` either way, nothing internal.
 */
export function toClientError(err: UpstreamError, cases: UpstreamFailureCases = []): GraphQLError {
  const answer = cases.length === 0 ? undefined : failureCaseOf(err, cases);
  if (answer) return gatewayError(answer.answer, answer.message, { source: err.source, ...answer.details });
  return gatewayError(err.code, clientMessages[err.code](err.source), { source: err.source });
}
