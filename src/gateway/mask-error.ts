/**
 * Error masking: every error a client sees carries a catalogue code, and nothing internal. What an
 * error is comes from the one classification (src/upstream/error-class.ts): catalogue errors pass;
 * upstream failures become their client error; GraphQL's own request errors get their stable code;
 * anything else reaches the client as INTERNAL_SERVER_ERROR (and Yoga's logger logs it in full).
 */
import { GraphQLError } from 'graphql';
import { type ErrorCode, gatewayError, isErrorCode } from '../errors.js';
import { classifyError } from '../upstream/error-class.js';
import { isUpstreamError, toClientError, type UpstreamError } from '../upstream/errors.js';

/** The catalogue code of each kind of GraphQL request error. */
const requestErrorCodes = {
  parse: 'GRAPHQL_PARSE_FAILED',
  variables: 'BAD_USER_INPUT',
  validation: 'GRAPHQL_VALIDATION_FAILED',
} as const satisfies Record<string, ErrorCode>;

/** Yoga's `maskError`: returns the client-facing version of an error. */
export function maskError(error: unknown): Error {
  const kind = classifyError(error);
  if (!(error instanceof GraphQLError)) {
    return isUpstreamError(error) ? toClientError(error) : internal(undefined);
  }
  switch (kind) {
    case 'catalogue':
      return catalogueError(error);
    case 'upstream':
      return withLocation(toClientError(error.originalError as UpstreamError), error);
    case 'parse':
    case 'variables':
    case 'validation':
      return withLocation(
        gatewayError(requestErrorCodes[kind], error.message, undefined, { http: true }),
        error,
      );
    case 'internal':
      return internal(error);
  }
}

/** A catalogue error as the client sees it: itself, or the one a resolver threw, at its path. */
function catalogueError(error: GraphQLError): GraphQLError {
  // graphql-jit's errors may have no extensions at all, whatever GraphQLError's type says.
  if (!isErrorCode(error.extensions?.code)) {
    return withLocation(error.originalError as GraphQLError, error, error.message);
  }
  // Yoga's own HTTP errors (invalid JSON body) carry the parser's error, which quotes the body.
  return 'originalError' in error.extensions ? withoutOriginal(error) : error;
}

function internal(error: GraphQLError | undefined): GraphQLError {
  return withLocation(gatewayError('INTERNAL_SERVER_ERROR', undefined, { unexpected: true }), error);
}

/**
 * Drops Yoga's `originalError` extension. Yoga also reads it to answer such errors with their HTTP
 * status even to `application/json` clients, so the status is kept without the `spec` marker that
 * would otherwise turn it into a 200.
 */
function withoutOriginal(error: GraphQLError): GraphQLError {
  const { originalError: _internal, http, ...rest } = error.extensions;
  const status = (http as { status?: number } | undefined)?.status;
  const extensions = status === undefined ? rest : { ...rest, http: { status } };
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions,
  });
}

/** Copies path and locations of the error graphql-js reported onto the client error. */
function withLocation(
  client: GraphQLError,
  reported: GraphQLError | undefined,
  message = client.message,
): GraphQLError {
  if (!reported) return client;
  return new GraphQLError(message, {
    nodes: reported.nodes,
    source: reported.source,
    positions: reported.positions,
    path: reported.path,
    extensions: client.extensions,
  });
}
