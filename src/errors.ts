import { GraphQLError } from 'graphql';

/** One code of the catalogue. */
interface CatalogueEntry {
  /** HTTP status of the response when the error refuses the whole request. */
  readonly status: number;
  /** The default message; throw sites refine it for an integrator. */
  readonly message: string;
  /**
   * Always refuses the whole request: the status is set whatever the throw site says. Codes without
   * it are field errors inside a partial 200 answer unless the throw site asks for the status.
   */
  readonly request?: true;
}

/**
 * The one catalogue of client-facing error codes. Each code keeps its meaning forever: a retired
 * code is deleted from use, never reused. README.md's error table is pinned to this object by a test.
 */
export const errorCatalogue = {
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to access this.' },
  KEY_EXPIRED: { status: 401, message: 'The API key has expired.', request: true },
  KEY_REVOKED: { status: 401, message: 'The API key has been revoked.', request: true },
  IP_NOT_ALLOWED: {
    status: 403,
    message: 'Requests from this address are not allowed for this key.',
    request: true,
  },
  SIGNATURE_REQUIRED: {
    status: 401,
    message: 'This operation requires an HTTP message signature.',
    request: true,
  },
  SIGNATURE_INVALID: { status: 401, message: 'The HTTP message signature is invalid.', request: true },
  SIGNATURE_EXPIRED: {
    status: 401,
    message: 'The HTTP message signature is too old or from the future.',
    request: true,
  },
  REPLAYED_REQUEST: { status: 401, message: 'This signed request was already received.', request: true },
  RATE_LIMITED: { status: 429, message: 'Rate limit exceeded.' },
  QUERY_TOO_COMPLEX: { status: 400, message: 'The operation is too complex.', request: true },
  PERSISTED_QUERY_NOT_FOUND: { status: 400, message: 'Persisted operation not found.', request: true },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The GraphQL document could not be parsed.', request: true },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    message: 'The GraphQL operation is not valid against the schema.',
    request: true,
  },
  BAD_REQUEST: { status: 400, message: 'The HTTP request is malformed.', request: true },
  REQUEST_TOO_LARGE: { status: 413, message: 'The request body is too large.', request: true },
  LENGTH_REQUIRED: { status: 411, message: 'The request body must declare its length.', request: true },
  BAD_USER_INPUT: { status: 400, message: 'The input is not valid.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  UPSTREAM_UNAVAILABLE: { status: 502, message: 'An upstream service is unavailable.' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'An upstream service did not answer in time.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is temporarily unavailable.' },
  SLOW_CONSUMER: {
    status: 409,
    message:
      'The subscriber fell too far behind: subscribe again with `after` set to the last cursor received.',
  },
  RECONNECT: {
    status: 503,
    message: 'This instance is shutting down: subscribe again (with `after` where the field has it).',
  },
  EXCHANGE_KEY_INVALID: {
    status: 400,
    message:
      'The exchange does not accept this API key (unknown, deleted, a wrong secret, or not allowed from here).',
  },
  EXCHANGE_KEY_TOO_POWERFUL: {
    status: 400,
    message: 'This exchange key can withdraw funds: link a key with reading (and trading) permission only.',
  },
  EXCHANGE_KEY_UNRESTRICTED: {
    status: 400,
    message:
      "This exchange key is not IP-restricted: restrict it to the gateway's addresses on the exchange.",
  },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof errorCatalogue;

/** Extra, client-safe fields for an error's `extensions` (never secrets, hosts or raw bodies). */
export type ErrorDetails = Record<string, string | number | boolean | null | readonly string[]>;

/**
 * Builds every client-facing error. `message` refines the catalogue text for an integrator;
 * `http` decides whether the code's status becomes the response status (request-level errors)
 * or stays informational (field errors inside a partial 200 response); codes the catalogue marks
 * `request` always set it.
 */
export function gatewayError(
  code: ErrorCode,
  message?: string,
  details?: ErrorDetails,
  options: { http?: boolean; headers?: Record<string, string>; cause?: unknown } = {},
): GraphQLError {
  const entry: CatalogueEntry = errorCatalogue[code];
  return new GraphQLError(message ?? entry.message, {
    originalError: options.cause instanceof Error ? options.cause : undefined,
    extensions: {
      ...details,
      code,
      ...(options.http || entry.request
        ? { http: { status: entry.status, ...(options.headers ? { headers: options.headers } : {}) } }
        : {}),
    },
  });
}

/**
 * Warnings: answered in `extensions.warnings` of a successful response, never as errors. Same rule
 * as the error catalogue: a code keeps its meaning forever.
 */
export const warningCatalogue = {
  KEY_DEPRECATED: { message: 'This API key was rotated: switch to its replacement before the sunset.' },
  KEY_ROTATION_DUE: {
    message:
      'A linked exchange key used for this answer is due for rotation: link a new key, unlink the old one.',
  },
  EXCHANGE_KEY_UNRESTRICTED: {
    message:
      "A linked exchange key is not IP-restricted: restrict it to the gateway's addresses on the exchange.",
  },
} as const satisfies Record<string, { message: string }>;

export type WarningCode = keyof typeof warningCatalogue;

/** One entry of `extensions.warnings`: its code, a message, and client-safe details. */
export type GatewayWarning = ErrorDetails & { readonly code: WarningCode; readonly message: string };

/** Builds every warning, from its catalogue entry. */
export function gatewayWarning(code: WarningCode, message?: string, details?: ErrorDetails): GatewayWarning {
  return { ...details, code, message: message ?? warningCatalogue[code].message };
}

/** Whether a value is a code of the catalogue. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}
