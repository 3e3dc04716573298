import { GraphQLError } from 'graphql';

/**
 * The one catalogue of client-facing error codes. Each code keeps its meaning forever: a retired
 * code is deleted from use, never reused. README.md's error table is pinned to this object by a test.
 */
export const errorCatalogue = {
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to access this.' },
  KEY_EXPIRED: { status: 401, message: 'The API key has expired.' },
  KEY_REVOKED: { status: 401, message: 'The API key has been revoked.' },
  IP_NOT_ALLOWED: { status: 403, message: 'Requests from this address are not allowed for this key.' },
  SIGNATURE_REQUIRED: { status: 401, message: 'This operation requires an HTTP message signature.' },
  SIGNATURE_INVALID: { status: 401, message: 'The HTTP message signature is invalid.' },
  SIGNATURE_EXPIRED: { status: 401, message: 'The HTTP message signature is too old or from the future.' },
  REPLAYED_REQUEST: { status: 401, message: 'This signed request was already received.' },
  RATE_LIMITED: { status: 429, message: 'Rate limit exceeded.' },
  QUERY_TOO_COMPLEX: { status: 400, message: 'The operation is too complex.' },
  PERSISTED_QUERY_NOT_FOUND: { status: 400, message: 'Persisted operation not found.' },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The GraphQL document could not be parsed.' },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    message: 'The GraphQL operation is not valid against the schema.',
  },
  BAD_REQUEST: { status: 400, message: 'The HTTP request is malformed.' },
  REQUEST_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  LENGTH_REQUIRED: { status: 411, message: 'The request body must declare its length.' },
  BAD_USER_INPUT: { status: 400, message: 'The input is not valid.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  UPSTREAM_UNAVAILABLE: { status: 502, message: 'An upstream service is unavailable.' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'An upstream service did not answer in time.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is temporarily unavailable.' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** Extra, client-safe fields for an error's `extensions` (never secrets, hosts or raw bodies). */
export type ErrorDetails = Record<string, string | number | boolean | null | readonly string[]>;

/**
 * Builds every client-facing error. `message` refines the catalogue text for an integrator;
 * `http` decides whether the code's status becomes the response status (request-level errors)
 * or stays informational (field errors inside a partial 200 response).
 */
export function gatewayError(
  code: ErrorCode,
  message?: string,
  details?: ErrorDetails,
  options: { http?: boolean; headers?: Record<string, string>; cause?: unknown } = {},
): GraphQLError {
  const entry = errorCatalogue[code];
  return new GraphQLError(message ?? entry.message, {
    originalError: options.cause instanceof Error ? options.cause : undefined,
    extensions: {
      ...details,
      code,
      ...(options.http
        ? { http: { status: entry.status, ...(options.headers ? { headers: options.headers } : {}) } }
        : {}),
    },
  });
}

/** Whether a value is a code of the catalogue. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}
