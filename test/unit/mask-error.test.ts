import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewayError } from '../../src/errors.js';
import { maskError } from '../../src/gateway/mask-error.js';
import { engines, raisedError, syntaxError, upstreamTimeout, validationError } from './graphql-errors.js';

const located = (original: Error) =>
  new GraphQLError(original.message, { path: ['token', 'price'], originalError: original });

const masked = (error: unknown) => maskError(error) as GraphQLError;

describe('maskError', () => {
  it('turns an unexpected error into INTERNAL_SERVER_ERROR with its path and without its message', () => {
    const error = masked(located(new Error('connect ECONNREFUSED 10.0.0.7:5432')));
    expect(error.message).toBe('Unexpected error.');
    expect(error.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.path).toEqual(['token', 'price']);
    expect(JSON.stringify(error)).not.toContain('10.0.0.7');
  });

  it('passes catalogue errors through unchanged', () => {
    const error = gatewayError('FORBIDDEN', 'Not yours.');
    expect(maskError(error)).toBe(error);
  });

  it('turns an upstream error into its client error, naming the source but not the host', () => {
    const error = masked(located(upstreamTimeout()));
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', source: 'market' });
    expect(error.path).toEqual(['token', 'price']);
    expect(JSON.stringify(error)).not.toContain('10.0.0.7');
  });

  it('gives GraphQL request errors their stable codes and a 400', () => {
    expect(masked(syntaxError()).extensions).toMatchObject({
      code: 'GRAPHQL_PARSE_FAILED',
      http: { status: 400 },
    });
    expect(masked(validationError()).extensions).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      http: { status: 400 },
    });
  });

  it('masks values that are not errors at all', () => {
    expect(masked('boom').extensions.code).toBe('INTERNAL_SERVER_ERROR');
  });

  for (const engine of engines) {
    it(`answers a variable that cannot be coerced as BAD_USER_INPUT (400) with ${engine}`, async () => {
      const query = 'query Q($n: Int!) { count(limit: $n) }';
      for (const variables of [{}, { n: null }, { n: 'abc' }]) {
        const error = masked(await raisedError(engine, query, variables));
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', http: { status: 400 } });
        expect(error.message).toMatch(/^Variable "\$n"/);
      }
      const decimal = masked(
        await raisedError(engine, 'query Q($a: Decimal!) { quote(amount: $a) }', { a: 1 }),
      );
      expect(decimal.extensions.code).toBe('BAD_USER_INPUT');
    });

    it(`answers a resolver that breaks the schema's contract as INTERNAL_SERVER_ERROR with ${engine}`, async () => {
      for (const query of ['{ name }', '{ size }']) {
        const error = masked(await raisedError(engine, query));
        expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', unexpected: true });
        expect(error.message).toBe('Unexpected error.');
        expect(error.path).toEqual([query.slice(2, -2)]);
      }
    });

    it(`keeps what resolvers throw from the catalogue, at their path, with ${engine}`, async () => {
      const forbidden = masked(await raisedError(engine, '{ forbidden }'));
      expect(forbidden).toMatchObject({ message: 'Not yours.', path: ['forbidden'] });
      expect(forbidden.extensions.code).toBe('FORBIDDEN');
      const upstream = masked(await raisedError(engine, '{ upstream }'));
      expect(upstream.extensions).toEqual({ code: 'UPSTREAM_TIMEOUT', source: 'market' });
      expect(upstream.path).toEqual(['upstream']);
    });
  }

  it("drops Yoga's originalError extension, which quotes the request body, and keeps the status", () => {
    const error = masked(
      new GraphQLError('POST body sent invalid JSON.', {
        extensions: {
          code: 'BAD_REQUEST',
          http: { spec: true, status: 400 },
          originalError: { name: 'SyntaxError', message: 'Unexpected token in {"password":"x"' },
        },
      }),
    );
    expect(error.extensions).toEqual({ code: 'BAD_REQUEST', http: { status: 400 } });
    expect(JSON.stringify(error)).not.toContain('password');
  });
});
