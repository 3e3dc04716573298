/**
 * Answers made with an API key in its rotation grace window carry `Deprecation` (RFC 9745) and
 * `Sunset` (RFC 8594) headers, plus a warning in `extensions`, so integrators notice before the
 * old key stops working.
 */
import type { Plugin } from 'graphql-yoga';
import { gatewayWarning } from '../errors.js';
import { requestSlot } from '../gateway/request-slot.js';
import type { RequestWarnings } from './use-warnings.js';

export interface KeyDeprecation {
  sunsetAt: string;
  replacedBy: string;
}

/** Links a request to its key's deprecation (set at authentication, read by the plugin). */
export function createKeyDeprecationTracker(warnings: RequestWarnings) {
  const deprecations = requestSlot<Request, KeyDeprecation>('keyDeprecation');
  const plugin: Plugin = {
    onResponse({ request, response }) {
      const deprecation = deprecations.get(request);
      if (!deprecation) return;
      response.headers.set('Deprecation', `@${Math.floor(Date.now() / 1000)}`);
      response.headers.set('Sunset', new Date(deprecation.sunsetAt).toUTCString());
    },
  };
  return {
    mark(request: Request, deprecation: KeyDeprecation) {
      deprecations.set(request, deprecation);
      warnings.add(
        request,
        gatewayWarning(
          'KEY_DEPRECATED',
          `This API key was rotated: switch to key ${deprecation.replacedBy} before ${deprecation.sunsetAt}.`,
          { sunset: deprecation.sunsetAt, replacedBy: deprecation.replacedBy },
        ),
      );
    },
    plugin,
  };
}
