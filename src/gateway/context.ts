/**
 * The per-request GraphQL context: request scope, principal, and fresh DataLoaders of every source
 * (so batching and caching never cross requests or principals).
 */

import type { YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Authentication } from '../auth/authenticate.js';
import type { PrincipalContext } from '../auth/principal.js';
import { gatewayError } from '../errors.js';
import type { KeyService } from '../keys/service.js';
import { requestIdOf } from '../plugins/use-request-id.js';
import type { RequestWarnings } from '../plugins/use-warnings.js';
import { requestTelemetryOf } from '../telemetry/request-telemetry.js';
import { type ConnectedSources, capabilityProvider } from './registry.js';
import type { RequestScope } from './source.js';

/** Per-request loaders of every source, under the source's name (each source reads its own). */
export type SourceLoaders = { readonly [sourceName: string]: unknown };

/** What every resolver receives. Each source reads its loaders under its own name. */
export type GatewayContext = RequestScope &
  PrincipalContext &
  SourceLoaders & {
    /** The client's address (behind TRUST_PROXY proxies, from X-Forwarded-For). */
    clientIp: string;
    /** API-key lifecycle, for the key-admin operations. */
    keys: KeyService;
    /**
     * Refuses (FORBIDDEN) an account that is not the principal's: object-level authorization across
     * sources, offered by the source that owns accounts (its `authorizeAccount` capability).
     */
    authorizeAccount(accountId: string): Promise<void>;
    /**
     * Empties the caches of the request's loaders (batching stays). A subscription keeps one context
     * for its whole life: each event clears them first, so it reads fresh data, not the first event's.
     */
    clearLoaderCaches(): void;
  };

export interface ContextFactoryOptions {
  sources: ConnectedSources;
  logger: Logger;
  keys: KeyService;
  /** The request's verified identity (src/plugins/use-authentication.ts ran before any context). */
  authenticationOf: (request: Request) => Authentication;
  /** Where a resolver's warnings go (`extensions.warnings` of the answer). */
  warnings?: RequestWarnings | undefined;
}

/** Returns Yoga's `context` function: the request's principal and fresh loaders of every source. */
export function createContextFactory({
  sources,
  logger,
  keys,
  authenticationOf,
  warnings,
}: ContextFactoryOptions) {
  const connected = Object.values(sources);
  const accounts = capabilityProvider(
    connected.map((c) => c.entry),
    'authorizeAccount',
  );
  return ({ request }: YogaInitialContext): GatewayContext => {
    const requestId = requestIdOf(request);
    const { principal, clientIp } = authenticationOf(request);
    const log = logger.child(
      principal ? { requestId, clientId: principal.clientId, keyId: principal.keyId } : { requestId },
    );
    const scope: RequestScope = {
      requestId,
      signal: request.signal,
      log,
      // Upstream calls count towards this request's metrics, access log line and trace.
      telemetry: requestTelemetryOf(request),
      warn: warnings ? (warning) => warnings.add(request, warning) : undefined,
    };
    const loaders: Record<string, unknown> = {};
    for (const { source } of connected) loaders[source.name] = source.createLoaders(scope);
    return {
      ...scope,
      ...loaders,
      principal,
      clientIp,
      keys,
      clearLoaderCaches() {
        for (const sourceLoaders of Object.values(loaders)) {
          for (const loader of Object.values(sourceLoaders as Record<string, unknown>)) {
            (loader as { clearAll?: () => unknown } | null)?.clearAll?.();
          }
        }
      },
      authorizeAccount: accounts
        ? (accountId: string) =>
            accounts.capabilities!.authorizeAccount!(loaders[accounts.name], principal, accountId)
        : async () => {
            // No source owns accounts: nothing can prove ownership, so nothing is allowed.
            throw gatewayError('FORBIDDEN', 'This account is not one of your accounts.', {
              argument: 'accountId',
            });
          },
    };
  };
}
