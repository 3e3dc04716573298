/** Portfolio upstream failures → client errors of the catalogue. */
import type { Logger } from 'pino';
import { isUpstreamError, toClientError } from '../../src/upstream/errors.js';

/**
 * What to throw for a failed portfolio call: an UpstreamError becomes its client error (code and
 * source, nothing internal) after its server-side detail is logged; anything else is returned
 * untouched so that the gateway masks and logs it.
 */
export function toPortfolioError(err: unknown, log?: Logger): unknown {
  if (!isUpstreamError(err)) return err;
  log?.warn({ err, source: err.source, code: err.code }, 'portfolio call failed');
  return toClientError(err);
}
