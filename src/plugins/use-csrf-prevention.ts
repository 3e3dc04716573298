/**
 * CSRF prevention (@graphql-yoga/plugin-csrf-prevention): a request a browser may send cross-site
 * without a CORS preflight — a GET, or a POST of a form or text/plain body — must carry one of the
 * headers below, which no page can add without a preflight. JSON POSTs (every client, GraphiQL
 * included) are preflighted and pass untouched. A refusal is 403 FORBIDDEN, from the catalogue.
 */
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';
import { gatewayError } from '../errors.js';

export interface CsrfPreventionPluginOptions {
  /**
   * Any one of them (any value) makes a GET or form request acceptable: Switchyard's own
   * `x-graphql-client` (the app's name and version, e.g. `web/1.4.2`), Yoga's default header, and
   * the ones Apollo's clients send (Apollo iOS and Kotlin send `x-apollo-operation-name` by default).
   * @default ['x-graphql-client', 'x-graphql-yoga-csrf', 'apollo-require-preflight', 'x-apollo-operation-name']
   */
  requestHeaders?: readonly string[];
}

export const defaultCsrfHeaders: readonly string[] = [
  'x-graphql-client',
  'x-graphql-yoga-csrf',
  'apollo-require-preflight',
  'x-apollo-operation-name',
];

export function useCsrfPrevention({
  requestHeaders = defaultCsrfHeaders,
}: CsrfPreventionPluginOptions = {}): Plugin {
  if (requestHeaders.length === 0) throw new Error('useCsrfPrevention: requestHeaders must name a header');
  const csrf = useCSRFPrevention({ requestHeaders: [...requestHeaders] });
  const message = `GET and form requests must carry a ${requestHeaders[0]} header (any value), or send a JSON POST.`;
  return {
    onRequestParse(payload) {
      try {
        return csrf.onRequestParse?.(payload);
      } catch {
        throw gatewayError('FORBIDDEN', message, undefined, { http: true });
      }
    },
  };
}
