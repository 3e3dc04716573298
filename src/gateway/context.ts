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
  // A source's loaders, and the request's child logger, are made on first use: most documents touch
  // one or two sources, a cached answer none, and most requests log nothing but their access-log
  // line. They are getters on the context object itself (envelop copies what this factory returns
  // with Object.assign, which would call them), the same functions for every request: closures
  // made per request as accessors would give every context a hidden class of its own (measured:
  // 20% slower).
  const lazy: PropertyDescriptorMap = {
    log: { configurable: true, enumerable: true, get: lazyLog },
  };
  for (const { source } of connected) {
    lazy[source.name] = {
      configurable: true,
      enumerable: true,
      get(this: LazyContext) {
        const state = this[LAZY];
        state.loaders[source.name] ??= source.createLoaders(state.scope);
        return state.loaders[source.name];
      },
    };
  }
  return (initial: YogaInitialContext): GatewayContext => {
    const { request } = initial;
    const requestId = requestIdOf(request);
    const { principal, clientIp } = authenticationOf(request);
    const scope = new Scope(
      requestId,
      request.signal,
      () =>
        logger.child(
          principal ? { requestId, clientId: principal.clientId, keyId: principal.keyId } : { requestId },
        ),
      // Upstream calls count towards this request's metrics, access log line and trace.
      requestTelemetryOf(request),
      warnings ? (warning) => warnings.add(request, warning) : undefined,
    );
    const loaders: Record<string, unknown> = {};
    Object.defineProperty(initial, LAZY, { value: { scope, loaders }, configurable: true });
    Object.defineProperties(initial, lazy);
    return {
      requestId,
      signal: scope.signal,
      telemetry: scope.telemetry,
      warn: scope.warn,
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
            accounts.capabilities!.authorizeAccount!(
              (initial as unknown as SourceLoaders)[accounts.name],
              principal,
              accountId,
            )
        : async () => {
            // No source owns accounts: nothing can prove ownership, so nothing is allowed.
            throw gatewayError('FORBIDDEN', 'This account is not one of your accounts.', {
              argument: 'accountId',
            });
          },
    } as GatewayContext; // and the getters above, on the same object
  };
}

const LAZY = Symbol('switchyard.context');

interface LazyState {
  readonly scope: Scope;
  readonly loaders: Record<string, unknown>;
}

type LazyContext = { readonly [LAZY]: LazyState };

function lazyLog(this: LazyContext): Logger {
  return this[LAZY].scope.log;
}

/** The request scope sources are given; its child logger is made on first use. */
class Scope implements RequestScope {
  #log: Logger | undefined;
  constructor(
    readonly requestId: string,
    readonly signal: AbortSignal,
    private readonly makeLog: () => Logger,
    readonly telemetry: RequestScope['telemetry'],
    readonly warn: RequestScope['warn'],
  ) {}

  get log(): Logger {
    this.#log ??= this.makeLog();
    return this.#log;
  }
}
