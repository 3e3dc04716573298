/**
 * Error masking: every error a client sees carries a catalogue code, and nothing internal.
 * Catalogue errors pass; upstream failures become their client error; GraphQL's own request errors
 * get their stable code; anything else is logged in full and reaches the client as
 * INTERNAL_SERVER_ERROR.
 */
import { GraphQLError } from 'graphql';
import { type ErrorCode, gatewayError, isErrorCode } from '../errors.js';
import { isUpstreamError, toClientError } from '../upstream/errors.js';

/** Yoga's `maskError`: returns the client-facing version of an error. */
export function maskError(error: unknown): Error {
  if (!(error instanceof GraphQLError)) return internal(undefined);
  const code = error.extensions?.['code'];
  if (isErrorCode(code) && !error.extensions['unexpected']) return error;
  const original = error.originalError;
  if (isUpstreamError(original)) return withLocation(toClientError(original), error);
  if (original instanceof GraphQLError && isErrorCode(original.extensions?.['code'])) {
    return withLocation(original, error, error.message);
  }
  if (!original) {
    // graphql-js request errors (syntax, validation, variable coercion) carry no original error.
    return withLocation(
      gatewayError(requestErrorCode(error.message), error.message, undefined, { http: true }),
      error,
    );
  }
  return internal(error);
}

function requestErrorCode(message: string): ErrorCode {
  if (message.startsWith('Syntax Error')) return 'GRAPHQL_PARSE_FAILED';
  if (message.startsWith('Variable "$')) return 'BAD_USER_INPUT';
  return 'GRAPHQL_VALIDATION_FAILED';
}

function internal(error: GraphQLError | undefined): GraphQLError {
  return withLocation(gatewayError('INTERNAL_SERVER_ERROR', undefined, { unexpected: true }), error);
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
