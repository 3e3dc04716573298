import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewayError } from '../../src/errors.js';
import { maskError } from '../../src/gateway/mask-error.js';
import { UpstreamError } from '../../src/upstream/errors.js';

const located = (original: Error) =>
  new GraphQLError(original.message, { path: ['token', 'price'], originalError: original });

describe('maskError', () => {
  it('turns an unexpected error into INTERNAL_SERVER_ERROR with its path and without its message', () => {
    const masked = maskError(located(new Error('connect ECONNREFUSED 10.0.0.7:5432'))) as GraphQLError;
    expect(masked.message).toBe('Unexpected error.');
    expect(masked.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(masked.path).toEqual(['token', 'price']);
    expect(JSON.stringify(masked)).not.toContain('10.0.0.7');
  });

  it('passes catalogue errors through unchanged', () => {
    const error = gatewayError('FORBIDDEN', 'Not yours.');
    expect(maskError(error)).toBe(error);
  });

  it('turns an upstream error into its client error, naming the source but not the host', () => {
    const masked = maskError(
      located(
        new UpstreamError('UPSTREAM_TIMEOUT', 'market', 'UND_ERR_HEADERS_TIMEOUT at http://10.0.0.7:8080'),
      ),
    ) as GraphQLError;
    expect(masked.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', source: 'market' });
    expect(masked.path).toEqual(['token', 'price']);
    expect(JSON.stringify(masked)).not.toContain('10.0.0.7');
  });

  it('gives GraphQL request errors their stable codes', () => {
    expect((maskError(new GraphQLError('Syntax Error: Expected Name')) as GraphQLError).extensions.code).toBe(
      'GRAPHQL_PARSE_FAILED',
    );
    expect(
      (maskError(new GraphQLError('Cannot query field "x" on type "Query".')) as GraphQLError).extensions
        .code,
    ).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(
      (maskError(new GraphQLError('Variable "$id" of required type "ID!" was not provided.')) as GraphQLError)
        .extensions.code,
    ).toBe('BAD_USER_INPUT');
  });

  it('masks values that are not errors at all', () => {
    expect((maskError('boom') as GraphQLError).extensions.code).toBe('INTERNAL_SERVER_ERROR');
  });
  it('answers a variable the scalar refuses as BAD_USER_INPUT (400), not as an internal error', () => {
    const masked = maskError(
      new GraphQLError(
        'Variable "$x" got invalid value "abc"; Int cannot represent non-integer value: "abc"',
        {
          originalError: new GraphQLError('Int cannot represent non-integer value: "abc"'),
        },
      ),
    ) as GraphQLError;
    expect(masked.extensions).toMatchObject({ code: 'BAD_USER_INPUT', http: { status: 400 } });
  });

  it("drops Yoga's originalError extension, which quotes the request body, and keeps the status", () => {
    const masked = maskError(
      new GraphQLError('POST body sent invalid JSON.', {
        extensions: {
          code: 'BAD_REQUEST',
          http: { spec: true, status: 400 },
          originalError: { name: 'SyntaxError', message: 'Unexpected token in {"password":"x"' },
        },
      }),
    ) as GraphQLError;
    expect(masked.extensions).toEqual({ code: 'BAD_REQUEST', http: { status: 400 } });
    expect(JSON.stringify(masked)).not.toContain('password');
  });
});
