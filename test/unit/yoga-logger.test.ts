import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { gatewayError } from '../../src/errors.js';
import { createYogaLogger } from '../../src/telemetry/yoga-logger.js';
import { engines, raisedError, syntaxError, upstreamTimeout, validationError } from './graphql-errors.js';

function capture() {
  const lines: string[] = [];
  const logger = createYogaLogger(
    pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
  );
  return { logger, lines };
}

describe("Yoga's error log", () => {
  it('skips the errors of the contract: request errors, catalogue errors, upstream failures, HTTP refusals', async () => {
    const { logger, lines } = capture();
    logger.error(syntaxError());
    logger.error(validationError());
    for (const engine of engines) {
      logger.error(await raisedError(engine, 'query Q($n: Int!) { count(limit: $n) }', { n: 'SECRET' }));
      logger.error(await raisedError(engine, '{ forbidden }'));
      logger.error(await raisedError(engine, '{ upstream }'));
    }
    logger.error(new GraphQLError('Not yours', { originalError: gatewayError('FORBIDDEN') }));
    logger.error(new GraphQLError('x', { originalError: upstreamTimeout() }));
    logger.error(new GraphQLError('POST body sent invalid JSON.', { extensions: { http: { status: 400 } } }));
    expect(lines).toEqual([]);
  });

  it('logs unexpected errors in full, with their original stack and path', () => {
    const { logger, lines } = capture();
    const bug = new TypeError("Cannot read properties of undefined (reading 'usd')");
    logger.error(new GraphQLError(bug.message, { originalError: bug, path: ['token', 'price'] }));
    logger.error(syntaxError());
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
    logger.error(new Error('boom'));
    expect(lines).toHaveLength(2);
  });

  for (const engine of engines) {
    it(`logs a resolver that breaks the schema's contract, which the client sees as internal, with ${engine}`, async () => {
      const { logger, lines } = capture();
      logger.error(await raisedError(engine, '{ name }'));
      logger.error(await raisedError(engine, '{ bug }'));
      expect(lines.map((line) => JSON.parse(line) as { msg: string; path: string[] })).toEqual([
        expect.objectContaining({ msg: 'unexpected error', path: ['name'] }),
        expect.objectContaining({ msg: 'unexpected error', path: ['bug'] }),
      ]);
    });
  }
});
