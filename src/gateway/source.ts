/**
 * The contract between the gateway and a source (sources/<name>/). A source owns its SDL and its
 * resolvers; the gateway stitches all of them into one executable schema at boot and gives every
 * request fresh DataLoaders from each source, so per-request batching never leaks across requests.
 *
 * A source is plugged in as data: one `SourceEntry` (built with `httpSource` or `grpcSource`) in
 * the list of sources/index.ts says everything the gateway, config, codegen, the sandbox runner
 * and the deployment files need to know of it. The core reads entries and never names a source.
 */

import type { IResolvers } from '@graphql-tools/utils';
import type { ServiceClientConstructor } from '@grpc/grpc-js';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { RunningSandbox, SandboxOptions } from '../../sources/sandbox-kit/types.js';
import type { Principal } from '../auth/principal.js';
import type { GatewayWarning } from '../errors.js';
import type { EnvelopeCipher } from '../keys/keyring.js';
import type { AuditLog } from '../keys/stores.js';
import type { TopicHubObserver } from '../streams/topic-hub.js';
import { createGrpcUpstream, type GrpcUpstream } from '../upstream/grpc.js';
import { createHttpUpstream, type HttpUpstream } from '../upstream/http.js';
import type { UpstreamCallScope, UpstreamObserver } from '../upstream/observer.js';
import type { ResilienceOptions } from '../upstream/resilience.js';
import type { SourceReferences } from './references.js';

/** What a source sees of the request it serves. */
export interface RequestScope {
  /** Request id, forwarded upstream as `x-request-id`. */
  readonly requestId: string;
  /** Aborted when the client disconnects: pass it to every upstream call. */
  readonly signal: AbortSignal;
  /** Child logger of the request. */
  readonly log: Logger;
  /**
   * The request's telemetry (upstream call count, trace context): pass it as `scope` with every
   * upstream call so metrics, logs and traces attribute the call to this request.
   */
  readonly telemetry?: UpstreamCallScope | undefined;
  /** Adds a warning to the answer's `extensions.warnings` (a credential due for rotation). */
  readonly warn?: ((warning: GatewayWarning) => void) | undefined;
}

/** What composing the public schema needs of a source: its SDL and resolvers, no connection. */
export type SourceDefinition = Pick<Source, 'name' | 'typeDefs' | 'resolvers' | 'references'>;

/** One upstream source, ready to serve: built once per process. */
export interface Source<TName extends string = string, TLoaders = unknown> {
  readonly name: TName;
  /** The source's SDL (its `schema.graphql`). Types named alike across sources are merged. */
  readonly typeDefs: string;
  /** Resolvers of the fields this source owns, reading context[name] for its loaders. */
  readonly resolvers: IResolvers;
  /**
   * How this source completes references (`{ id }`) to a type that other sources return: its
   * fields then load once per reference, not once per field (src/gateway/references.ts).
   */
  readonly references?: SourceReferences | undefined;
  /** Fresh per-request DataLoaders (placed on the context under the source name). */
  createLoaders(scope: RequestScope): TLoaders;
  /** Readiness probe: resolves when the upstream answers, rejects otherwise. */
  ping(signal: AbortSignal): Promise<void>;
  /** Stops what the source runs on its own (its shared upstream feeds), before its upstream closes. */
  close?(): void;
}

/** What the gateway observes of a source's live feeds (metrics): feeds, reconnects, conflation. */
export interface StreamObserver extends TopicHubObserver {
  /** One event replaced by a newer one in a slow subscriber's queue of feed `hub`. */
  countConflated?(hub: string): void;
}

/**
 * What a source that keeps users' secrets is given (exchange's linked keys): the gateway's keyring
 * and its system of record.
 */
export interface SourceVault {
  /** Envelope encryption under the gateway's keyring (KEYS_ENCRYPTION_KEYS). */
  readonly envelopes: EnvelopeCipher;
  /** PostgreSQL (DATABASE_URL, migrated); undefined: memory, this process only (demo, tests). */
  readonly database: Pool | undefined;
  /** The append-only audit trail. */
  readonly audit: AuditLog;
  /** Clock, in ms. */
  readonly now: () => number;
}

/** What a source is built with beside its upstream. */
export interface SourceSetup {
  /** Receives the source's feed events (metrics). */
  readonly streams?: StreamObserver | undefined;
  /** The keyring and the system of record, for a source that keeps secrets. */
  readonly vault?: SourceVault | undefined;
  /** The source's own settings, as its entry's `settings` schema parsed them from the environment. */
  readonly settings?: unknown;
}

/** A source bound to its live upstream connection. */
export interface ConnectedSource<S extends Source = Source> {
  readonly source: S;
  close(): Promise<void>;
}

/** How the gateway connects every source (main.ts decides, from config). */
export interface ConnectOptions {
  /** Per-call timeout (HTTP) or deadline (gRPC), in ms. */
  readonly timeoutMs: number;
  /** Receives every upstream call (metrics, tracing). */
  readonly observer?: UpstreamObserver | undefined;
  /** Retries, breaker, bulkhead, deduplication. @default resilience.ts's defaults */
  readonly resilience?: ResilienceOptions | undefined;
  /** Receives the sources' feed events (metrics). */
  readonly streams?: StreamObserver | undefined;
  /** The keyring and the system of record (sources that keep secrets). */
  readonly vault?: SourceVault | undefined;
  /** Each source's settings by source name (Config.sourceSettings). */
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
}

/** Starts a source's sandbox: a real server of its contract with deterministic data and faults. */
export type StartSandbox = (options?: SandboxOptions) => Promise<RunningSandbox>;

/**
 * What one source offers the gateway and the other sources, typed by the source that offers it;
 * the gateway hands it to resolvers through the request context.
 */
export interface SourceCapabilities<TLoaders> {
  /**
   * Object-level authorization of accounts across sources (trading's orders, the cache): resolves
   * when the account is the principal's, throws FORBIDDEN otherwise — the same for an unknown one.
   */
  authorizeAccount?(loaders: TLoaders, principal: Principal | null, accountId: string): Promise<void>;
}

/** One source as data: the entry sources/index.ts lists. */
export interface SourceEntry<TName extends string = string, TLoaders = unknown> {
  readonly name: TName;
  readonly transport: 'http' | 'grpc';
  /**
   * The gateway variable that points at the upstream (`MARKET_URL`: an http(s) URL; gRPC
   * sources' `…_ADDR`: host:port). None set outside production: demo mode, sandboxes in-process.
   */
  readonly variable: string;
  /** Port of the upstream's contract in deployments (sandbox processes, compose). */
  readonly defaultPort: number;
  /** gRPC sandboxes: port of their HTTP admin routes in deployments. */
  readonly defaultAdminPort?: number | undefined;
  /** SDL and resolvers without a connection: what schema:print and schema:check compose. */
  readonly definition: SourceDefinition & { readonly name: TName };
  /**
   * GraphQL Code Generator's view of the resolvers: the context type and the model type each
   * GraphQL type is resolved from (`file#Type`, relative to `sources/<name>/generated/`).
   */
  readonly codegen: { readonly context: string; readonly mappers: Readonly<Record<string, string>> };
  /** Entry script of the sandbox as a process (`npm run sandboxes`, compose), from the repository root. */
  readonly sandboxScript: string;
  /**
   * The source's own variables (beside `variable`), validated with the gateway's configuration: a
   * bad value stops the process at start with a message naming it.
   */
  readonly settings?: SourceSettingsSchema | undefined;
  /** The sandbox, loaded lazily: production never imports sandbox code. */
  loadSandbox(): Promise<StartSandbox>;
  /**
   * Sources that keep secrets in the vault: re-wraps them under the keyring's active KEK
   * (`npm run keys -- rewrap`), while gateways run. Records that do not open are listed in `failed`.
   */
  rewrapSecrets?(vault: SourceVault): Promise<RewrapReport>;
  /** Connects to the upstream at `target` (an http(s) URL, or host:port for gRPC). */
  connect(target: string, options: ConnectOptions): ConnectedSource<Source<TName, TLoaders>>;
  readonly capabilities?: SourceCapabilities<TLoaders> | undefined;
}

/**
 * Codegen mapper of a `Token` that a source returns without owning it (`Position.token`,
 * `Order.token`): a reference by id, which market's resolvers complete.
 */
export const TOKEN_REFERENCE = '{ readonly id: string }';

/** What every entry builder takes beside its transport's upstream. */
interface EntryBase<TName extends string, TLoaders> {
  readonly definition: SourceDefinition & { readonly name: TName };
  readonly variable: string;
  readonly defaultPort: number;
  readonly codegen: SourceEntry['codegen'];
  readonly sandboxScript: string;
  readonly settings?: SourceSettingsSchema;
  loadSandbox(): Promise<StartSandbox>;
  rewrapSecrets?(vault: SourceVault): Promise<RewrapReport>;
  readonly capabilities?: SourceCapabilities<TLoaders>;
}

/** What a rewrap did: records moved to the active KEK, already there, and the ids that failed. */
export interface RewrapReport {
  readonly rewrapped: number;
  readonly current: number;
  readonly failed: readonly string[];
}

/** A source's settings: a zod object over environment variables (strings in, typed values out). */
export type SourceSettingsSchema = z.ZodObject;

/** An entry for a REST upstream reached over one pooled undici connection set. */
export function httpSource<TName extends string, TLoaders>(
  entry: EntryBase<TName, TLoaders> & {
    create(upstream: HttpUpstream, setup: SourceSetup): Source<TName, TLoaders>;
  },
): SourceEntry<TName, TLoaders> {
  const { create, ...rest } = entry;
  return {
    ...rest,
    name: entry.definition.name,
    transport: 'http',
    connect(target, { timeoutMs, observer, resilience, streams, vault, settings }) {
      const upstream = createHttpUpstream({
        name: rest.definition.name,
        url: target,
        timeoutMs,
        observer,
        resilience,
      });
      const source = create(upstream, { streams, vault, settings: settings?.[rest.definition.name] });
      return {
        source,
        close: async () => {
          source.close?.();
          await upstream.close();
        },
      };
    },
  };
}

/** An entry for a gRPC upstream, with its generated service client and an admin port for its sandbox. */
export function grpcSource<TName extends string, TLoaders>(
  entry: EntryBase<TName, TLoaders> & {
    readonly service: ServiceClientConstructor;
    readonly defaultAdminPort: number;
    create(upstream: GrpcUpstream, setup: SourceSetup): Source<TName, TLoaders>;
  },
): SourceEntry<TName, TLoaders> {
  const { create, service, ...rest } = entry;
  return {
    ...rest,
    name: entry.definition.name,
    transport: 'grpc',
    connect(target, { timeoutMs, observer, resilience, streams, vault, settings }) {
      const upstream = createGrpcUpstream(service, {
        name: rest.definition.name,
        address: target,
        deadlineMs: timeoutMs,
        observer,
        resilience,
      });
      const source = create(upstream, { streams, vault, settings: settings?.[rest.definition.name] });
      return {
        source,
        close: async () => {
          source.close?.();
          upstream.close();
        },
      };
    },
  };
}
