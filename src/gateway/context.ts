/**
 * The per-request GraphQL context: request scope, principal, and fresh DataLoaders of every source
 * (so batching and caching never cross requests or principals).
 */

import type { YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import { authorizeAccount } from '../../sources/portfolio/index.js';
import { principalFromDevHeader } from '../auth/dev-identity.js';
import type { PrincipalContext } from '../auth/principal.js';
import { requestIdOf } from '../plugins/use-request-id.js';
import { type ConnectedSources, type SourceLoaders, type SourceName, sourceNames } from './registry.js';
import type { RequestScope } from './source.js';

/** What every resolver receives. Each source reads its loaders under its own name. */
export type GatewayContext = RequestScope &
  PrincipalContext &
  SourceLoaders & {
    /** Refuses (FORBIDDEN) an account that is not the principal's: object-level authorization across sources. */
    authorizeAccount(accountId: string): Promise<void>;
  };

export interface ContextFactoryOptions {
  sources: ConnectedSources;
  logger: Logger;
  /** Honour the development identity header (never in production). */
  devIdentity: boolean;
}

/** Returns Yoga's `context` function. */
export function createContextFactory({ sources, logger, devIdentity }: ContextFactoryOptions) {
  return ({ request }: YogaInitialContext): GatewayContext => {
    const requestId = requestIdOf(request);
    const scope: RequestScope = { requestId, signal: request.signal, log: logger.child({ requestId }) };
    const loaders: Partial<Record<SourceName, unknown>> = {};
    for (const name of sourceNames) loaders[name] = sources[name].source.createLoaders(scope);
    const context = {
      ...scope,
      ...(loaders as SourceLoaders),
      principal: devIdentity ? principalFromDevHeader(request.headers) : null,
      authorizeAccount: (accountId: string) =>
        authorizeAccount(context.portfolio, context.principal, accountId),
    };
    return context;
  };
}
