/**
 * Real errors, as graphql-js, graphql-jit (the gateway's executor) and Yoga raise them, for the
 * tests of their classification: built by the libraries, never by hand, so that a test fails when
 * their shape changes.
 */

import { type GraphQLError, parse, validate } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { gatewayError } from '../../src/errors.js';
import { DecimalScalar } from '../../src/gateway/scalars.js';
import { useCompiledExecution } from '../../src/plugins/use-compiled-execution.js';
import { UpstreamError } from '../../src/upstream/errors.js';

/** What executes the operation: graphql-js, or graphql-jit as the gateway runs it. */
export type Engine = 'graphql-js' | 'graphql-jit';
export const engines: readonly Engine[] = ['graphql-js', 'graphql-jit'];

/** An upstream failure whose detail names a host: it must never reach a client. */
export const upstreamTimeout = () =>
  new UpstreamError('UPSTREAM_TIMEOUT', 'market', 'UND_ERR_HEADERS_TIMEOUT at http://10.0.0.7:8080');

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    scalar Decimal
    type Query {
      count(limit: Int!): Int
      quote(amount: Decimal!): Int
      "Breaks the schema's contract: null for a non-null field."
      name: String!
      "Breaks the schema's contract: a value Int cannot represent."
      size: Int
      forbidden: String
      upstream: String
      bug: String
    }
  `,
  resolvers: {
    Decimal: DecimalScalar,
    Query: {
      count: (_root: unknown, { limit }: { limit: number }) => limit,
      quote: () => 1,
      name: () => null,
      size: () => 'large',
      forbidden: () => {
        throw gatewayError('FORBIDDEN', 'Not yours.');
      },
      upstream: () => {
        throw upstreamTimeout();
      },
      bug: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'usd')");
      },
    },
  },
});

/** The errors Yoga hands its `maskError` for one operation, executed by `engine`. */
export async function raisedErrors(
  engine: Engine,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLError[]> {
  const raised: GraphQLError[] = [];
  const yoga = createYoga({
    schema,
    logging: false,
    maskedErrors: {
      maskError: (error) => {
        raised.push(error as GraphQLError);
        return error as Error;
      },
    },
    plugins: engine === 'graphql-jit' ? [useCompiledExecution()] : [],
  });
  await yoga.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return raised;
}

/** The one error Yoga hands its mask for an operation; fails the test if there is not exactly one. */
export async function raisedError(
  engine: Engine,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLError> {
  const raised = await raisedErrors(engine, query, variables);
  if (raised.length !== 1) throw new Error(`expected one error, got ${raised.length}: ${query}`);
  return raised[0]!;
}

/** graphql-js's syntax error as its parser throws it, before Yoga labels it (a WebSocket parse, a test). */
export function syntaxError(): GraphQLError {
  try {
    parse('{ count(limit: 1)');
  } catch (err) {
    return err as GraphQLError;
  }
  throw new Error('the document parsed');
}

/** A graphql-js validation error as `validate` returns it, before Yoga labels it. */
export function validationError(): GraphQLError {
  const [error] = validate(schema, parse('{ nope }'));
  if (!error) throw new Error('the document validated');
  return error;
}
