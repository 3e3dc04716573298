import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { gatewayError } from '../../src/errors.js';
import { createYogaLogger, isExpected } from '../../src/telemetry/yoga-logger.js';
import { UpstreamError } from '../../src/upstream/errors.js';

describe("Yoga's error log", () => {
  it('skips the errors of the contract: request errors, catalogue errors, upstream failures, HTTP refusals', () => {
    expect(isExpected(new GraphQLError('Syntax Error: Expected Name, found <EOF>.'))).toBe(true);
    const coercion = new GraphQLError('Variable "$x" got invalid value "SECRET"; Int cannot represent …', {
      originalError: new GraphQLError('Int cannot represent non-integer value: "SECRET"'),
    });
    expect(isExpected(coercion)).toBe(true);
    expect(isExpected(new GraphQLError('Not yours', { originalError: gatewayError('FORBIDDEN') }))).toBe(
      true,
    );
    const upstream = new UpstreamError('UPSTREAM_TIMEOUT', 'market', 'UND_ERR_HEADERS_TIMEOUT');
    expect(isExpected(new GraphQLError('x', { originalError: upstream }))).toBe(true);
    expect(
      isExpected(new GraphQLError('POST body sent invalid JSON.', { extensions: { http: { status: 400 } } })),
    ).toBe(true);
  });

  it('logs unexpected errors in full, with their original stack and path', () => {
    const lines: string[] = [];
    const logger = createYogaLogger(
      pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    );
    const bug = new TypeError("Cannot read properties of undefined (reading 'usd')");
    logger.error(new GraphQLError(bug.message, { originalError: bug, path: ['token', 'price'] }));
    logger.error(new GraphQLError('Syntax Error: Unexpected <EOF>.'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as {
      msg: string;
      path: string[];
      err: { type: string; stack: string };
    };
    expect(line).toMatchObject({
      msg: 'unexpected error',
      path: ['token', 'price'],
      err: { type: 'TypeError' },
    });
    expect(line.err.stack).toContain('yoga-logger.test.ts');
    expect(isExpected(new Error('boom'))).toBe(false);
  });
});
