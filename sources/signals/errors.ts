/** Signals upstream failures → client errors of the catalogue (see README.md, "Error mapping"). */
import { isUpstreamError, toClientError } from '../../src/upstream/errors.js';

/**
 * The client-facing error for a failed signals call: an UpstreamError becomes a GraphQLError with
 * its catalogue code and `extensions.source`, nothing internal. Anything else is returned untouched
 * so that the gateway masks it and logs it in full.
 */
export function toSignalsClientError(err: unknown): unknown {
  return isUpstreamError(err) ? toClientError(err) : err;
}
