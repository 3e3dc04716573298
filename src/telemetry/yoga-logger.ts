/**
 * Yoga's logger over pino. Yoga reports to `error` every error it masks — the client's own mistakes
 * included, whose messages quote the values sent ("Variable "$x" got invalid value …"). Those are
 * the client's business and already counted by code in the access log; logging them would copy
 * client input, secrets included, into the logs. Only what the one classification calls internal
 * (src/upstream/error-class.ts) is logged, in full: what the mask turned into INTERNAL_SERVER_ERROR.
 * Upstream failures are logged by their source, with their detail.
 */
import { GraphQLError } from 'graphql';
import type { YogaLogger } from 'graphql-yoga';
import type { Logger } from 'pino';
import { classifyError } from '../upstream/error-class.js';

/** Creates the `logging` option of createYoga. */
export function createYogaLogger(logger: Logger): YogaLogger {
  const log = logger.child({ component: 'yoga' });
  return {
    debug: (...args) => log.debug({ args: args.filter((arg) => typeof arg === 'string') }, 'yoga'),
    info: (...args) => log.info({ args: args.filter((arg) => typeof arg === 'string') }, 'yoga'),
    warn: (...args) => log.warn({ args: args.filter((arg) => typeof arg === 'string') }, 'yoga'),
    error: (err: unknown) => {
      if (classifyError(err) !== 'internal') return;
      const unwrapped = err instanceof GraphQLError && err.originalError ? err.originalError : err;
      log.error(
        { err: unwrapped, path: err instanceof GraphQLError ? err.path : undefined },
        'unexpected error',
      );
    },
  };
}
