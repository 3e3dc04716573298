import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewayError } from '../../src/errors.js';
import { classifyError, isClientFault } from '../../src/upstream/error-class.js';
import { engines, raisedError, syntaxError, upstreamTimeout, validationError } from './graphql-errors.js';

describe('classifyError', () => {
  it("classifies graphql-js's parse and validation errors by their structure", () => {
    expect(classifyError(syntaxError())).toBe('parse');
    expect(classifyError(validationError())).toBe('validation');
  });

  it('never reads the message: request-error texts without their structure are not request errors', () => {
    const bug = new TypeError('boom');
    expect(classifyError(new GraphQLError('Syntax Error: Expected Name', { originalError: bug }))).toBe(
      'internal',
    );
    expect(
      classifyError(
        new GraphQLError('Variable "$id" got invalid value 1', { path: ['token'], originalError: bug }),
      ),
    ).toBe('internal');
    // Structure without the usual text: still what it is.
    const parse = syntaxError();
    expect(classifyError(new GraphQLError('?', { source: parse.source!, positions: parse.positions! }))).toBe(
      'parse',
    );
  });

  for (const engine of engines) {
    describe(`of errors raised executing with ${engine}`, () => {
      it('classifies variables that cannot be coerced as variables', async () => {
        const query = 'query Q($n: Int!) { count(limit: $n) }';
        expect(classifyError(await raisedError(engine, query, {}))).toBe('variables');
        expect(classifyError(await raisedError(engine, query, { n: null }))).toBe('variables');
        expect(classifyError(await raisedError(engine, query, { n: 'many' }))).toBe('variables');
        expect(classifyError(await raisedError(engine, query, { n: { nested: 1 } }))).toBe('variables');
      });

      it('classifies a variable its scalar refuses with a catalogue error as catalogue', async () => {
        const refused = await raisedError(engine, 'query Q($a: Decimal!) { quote(amount: $a) }', {
          a: '1e5',
        });
        expect(classifyError(refused)).toBe('catalogue');
      });

      it('classifies what resolvers throw: catalogue errors, upstream failures, bugs', async () => {
        expect(classifyError(await raisedError(engine, '{ forbidden }'))).toBe('catalogue');
        expect(classifyError(await raisedError(engine, '{ upstream }'))).toBe('upstream');
        expect(classifyError(await raisedError(engine, '{ bug }'))).toBe('internal');
      });

      it('classifies a broken schema contract as internal, not as a client error', async () => {
        expect(classifyError(await raisedError(engine, '{ name }'))).toBe('internal');
        expect(classifyError(await raisedError(engine, '{ size }'))).toBe('internal');
      });

      it("classifies Yoga's refusal of an operation it cannot pick as validation", async () => {
        const error = await raisedError(engine, 'query A { count(limit: 1) } query B { count(limit: 2) }');
        expect(error.extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
        expect(classifyError(error)).toBe('validation');
      });
    });
  }

  it('classifies errors by their catalogue code and HTTP status', () => {
    expect(classifyError(gatewayError('RATE_LIMITED', undefined, undefined, { http: true }))).toBe(
      'catalogue',
    );
    const marked = new GraphQLError('Unexpected error.', {
      extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true },
    });
    expect(classifyError(marked)).toBe('internal');
    expect(classifyError(new GraphQLError('down', { extensions: { http: { status: 503 } } }))).toBe(
      'internal',
    );
  });

  it('classifies what is not a GraphQLError: an upstream failure, or a bug', () => {
    expect(classifyError(upstreamTimeout())).toBe('upstream');
    expect(classifyError(new Error('boom'))).toBe('internal');
    expect(classifyError('boom')).toBe('internal');
  });
});

describe('isClientFault', () => {
  it('puts 4xx catalogue codes on the client and 5xx codes and unknown codes on the server side', () => {
    for (const code of ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'RATE_LIMITED']) {
      expect(isClientFault(code), code).toBe(true);
    }
    for (const code of [
      'UPSTREAM_UNAVAILABLE',
      'UPSTREAM_TIMEOUT',
      'SERVICE_UNAVAILABLE',
      'INTERNAL_SERVER_ERROR',
    ]) {
      expect(isClientFault(code), code).toBe(false);
    }
    expect(isClientFault('OPERATION_RESOLUTION_FAILURE')).toBe(false);
  });
});
