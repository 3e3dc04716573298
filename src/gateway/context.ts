/**
 * The per-request GraphQL context: request scope, principal, and fresh DataLoaders of every source
 * (so batching and caching never cross requests or principals).
 */

import type { IncomingMessage } from 'node:http';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import { authorizeAccount } from '../../sources/portfolio/index.js';
import type { Authenticator } from '../auth/authenticate.js';
import type { Principal, PrincipalContext } from '../auth/principal.js';
import type { KeyService } from '../keys/service.js';
import { requestIdOf } from '../plugins/use-request-id.js';
import { requestTelemetryOf } from '../telemetry/request-telemetry.js';
import { type ConnectedSources, type SourceLoaders, type SourceName, sourceNames } from './registry.js';
import type { RequestScope } from './source.js';

/** What every resolver receives. Each source reads its loaders under its own name. */
export type GatewayContext = RequestScope &
  PrincipalContext &
  SourceLoaders & {
    /** The client's address (behind TRUST_PROXY proxies, from X-Forwarded-For). */
    clientIp: string;
    /** API-key lifecycle, for the key-admin operations. */
    keys: KeyService;
    /** Refuses (FORBIDDEN) an account that is not the principal's: object-level authorization across sources. */
    authorizeAccount(accountId: string): Promise<void>;
  };

export interface ContextFactoryOptions {
  sources: ConnectedSources;
  logger: Logger;
  keys: KeyService;
  authenticate: Authenticator;
  /** Told about every authenticated request (metrics: requests per key version). */
  onAuthenticated?: (principal: Principal, inGrace: boolean) => void;
  /** Told about every refused credential, with the error answered (metrics). */
  onAuthRefused?: (error: unknown) => void;
  /** Told about requests made with a key in its grace window. */
  onDeprecatedKey: (request: Request, deprecation: { sunsetAt: string; replacedBy: string }) => void;
}

/** Returns Yoga's `context` function: authenticates, then builds the request's loaders. */
export function createContextFactory({
  sources,
  logger,
  keys,
  authenticate,
  onDeprecatedKey,
  onAuthenticated,
  onAuthRefused,
}: ContextFactoryOptions) {
  return async ({
    request,
    req,
  }: YogaInitialContext & { req?: IncomingMessage }): Promise<GatewayContext> => {
    const requestId = requestIdOf(request);
    let authentication: Awaited<ReturnType<Authenticator>>;
    try {
      authentication = await authenticate(request, req?.socket.remoteAddress, requestId);
    } catch (err) {
      onAuthRefused?.(err);
      throw err;
    }
    const { principal, clientIp, deprecation } = authentication;
    if (principal) onAuthenticated?.(principal, deprecation !== null);
    if (deprecation) onDeprecatedKey(request, deprecation);
    const log = logger.child(
      principal ? { requestId, clientId: principal.clientId, keyId: principal.keyId } : { requestId },
    );
    const scope: RequestScope = {
      requestId,
      signal: request.signal,
      log,
      // Upstream calls count towards this request's metrics, access log line and trace.
      telemetry: requestTelemetryOf(request),
    };
    const loaders: Partial<Record<SourceName, unknown>> = {};
    for (const name of sourceNames) loaders[name] = sources[name].source.createLoaders(scope);
    const typedLoaders = loaders as SourceLoaders;
    return {
      ...scope,
      ...typedLoaders,
      principal,
      clientIp,
      keys,
      authorizeAccount: (accountId: string) => authorizeAccount(typedLoaders.portfolio, principal, accountId),
    };
  };
}
