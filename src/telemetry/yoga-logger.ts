/**
 * Yoga's logger over pino. Yoga reports to `error` every error it masks — the client's own mistakes
 * included, whose messages quote the values sent ("Variable "$x" got invalid value …"). Those are
 * the client's business and already counted by code in the access log; logging them would copy
 * client input, secrets included, into the logs. Only unexpected errors are logged, in full.
 */
import { GraphQLError } from 'graphql';
import type { YogaLogger } from 'graphql-yoga';
import type { Logger } from 'pino';
import { isErrorCode } from '../errors.js';
import { isUpstreamError } from '../upstream/errors.js';

/** Creates the `logging` option of createYoga. */
export function createYogaLogger(logger: Logger): YogaLogger {
  const log = logger.child({ component: 'yoga' });
  return {
    debug: (...args) => log.debug({ args: args.filter((arg) => typeof arg === 'string') }, 'yoga'),
    info: (...args) => log.info({ args: args.filter((arg) => typeof arg === 'string') }, 'yoga'),
    warn: (...args) => log.warn({ args: args.filter((arg) => typeof arg === 'string') }, 'yoga'),
    error: (err: unknown) => {
      if (isExpected(err)) return;
      const unwrapped = err instanceof GraphQLError && err.originalError ? err.originalError : err;
      log.error(
        { err: unwrapped, path: err instanceof GraphQLError ? err.path : undefined },
        'unexpected error',
      );
    },
  };
}

/**
 * Errors that are part of the contract: GraphQL request errors (syntax, validation, variables),
 * Yoga's HTTP refusals (4xx), catalogue errors thrown by resolvers, and upstream failures (logged
 * by their source with their detail).
 */
export function isExpected(err: unknown): boolean {
  if (!(err instanceof GraphQLError)) return false;
  const original = err.originalError;
  if (original === undefined || original === null) {
    const status = (err.extensions?.http as { status?: number } | undefined)?.status;
    return status === undefined || status < 500;
  }
  if (isUpstreamError(original)) return true;
  if (original instanceof GraphQLError) {
    return (
      isErrorCode(original.extensions?.code) || err.message.startsWith('Variable "$') || isExpected(original)
    );
  }
  return false;
}
