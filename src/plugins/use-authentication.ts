/**
 * Authentication first, as a plugin (the shape of Yoga's JWT plugin): the credential is verified
 * when the request is parsed, before the document is parsed, validated, counted or executed, so a
 * bad credential is a 401 whatever the document holds. The result is kept per request; the context
 * factory and every later policy read it and nobody verifies again.
 */
import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Authentication, Authenticator } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { requestSlot } from '../gateway/request-slot.js';
import { requestIdOf } from './use-request-id.js';

export interface AuthenticationPluginOptions {
  authenticate: Authenticator;
  /** Told about every authenticated request (metrics: requests per key version). */
  onAuthenticated?: (principal: Principal, inGrace: boolean) => void;
  /** Told about every refused credential, with the error answered (metrics). */
  onRefused?: (error: unknown) => void;
  /** Told about requests made with a key in its rotation's grace window (Deprecation headers). */
  onDeprecatedKey?: (request: Request, deprecation: { sunsetAt: string; replacedBy: string }) => void;
}

export interface AuthenticationPlugin {
  plugin: Plugin;
  /** The request's verified identity; throws when the plugin did not see the request (a wiring bug). */
  authenticationOf(request: Request): Authentication;
}

export function createAuthenticationPlugin({
  authenticate,
  onAuthenticated,
  onRefused,
  onDeprecatedKey,
}: AuthenticationPluginOptions): AuthenticationPlugin {
  const verified = requestSlot<Request, Authentication>('authentication');
  return {
    plugin: {
      async onRequestParse({ request, serverContext }) {
        const socketAddress = (serverContext as { req?: IncomingMessage } | undefined)?.req?.socket
          .remoteAddress;
        let authentication: Authentication;
        try {
          authentication = await authenticate(request, socketAddress, requestIdOf(request));
        } catch (err) {
          onRefused?.(err);
          throw err;
        }
        const { principal, deprecation } = authentication;
        if (principal) onAuthenticated?.(principal, deprecation !== null);
        if (deprecation) onDeprecatedKey?.(request, deprecation);
        verified.set(request, authentication);
      },
    },
    authenticationOf(request) {
      const authentication = verified.get(request);
      if (!authentication)
        throw new Error('request was not authenticated: useAuthentication is not installed');
      return authentication;
    },
  };
}
