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
  if (isErrorCode(code) && !error.extensions['unexpected']) {
    // Yoga's own HTTP errors (invalid JSON body) carry the parser's error, which quotes the body.
    return 'originalError' in error.extensions ? withoutOriginal(error) : error;
  }
  const original = error.originalError;
  if (isUpstreamError(original)) return withLocation(toClientError(original), error);
  if (original instanceof GraphQLError && isErrorCode(original.extensions?.['code'])) {
    return withLocation(original, error, error.message);
  }
  // graphql-js coercing a variable wraps the scalar's own error: still the client's input.
  const coercion = original instanceof GraphQLError && error.message.startsWith('Variable "$');
  if (!original || coercion) {
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
