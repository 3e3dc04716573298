/**
 * The contract between the gateway and a source (sources/<name>/). A source owns its SDL and its
 * resolvers; the gateway stitches all of them into one executable schema at boot and gives every
 * request fresh DataLoaders from each source, so per-request batching never leaks across requests.
 */
import type { IResolvers } from '@graphql-tools/utils';
import type { Logger } from 'pino';
import type { UpstreamCallScope } from '../upstream/observer.js';

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
}

/** What composing the public schema needs of a source: its SDL and resolvers, no connection. */
export type SourceDefinition = Pick<Source, 'name' | 'typeDefs' | 'resolvers'>;

/** One upstream source, ready to serve: built once per process. */
export interface Source<TName extends string = string, TLoaders = unknown> {
  readonly name: TName;
  /** The source's SDL (its `schema.graphql`). Types named alike across sources are merged. */
  readonly typeDefs: string;
  /** Resolvers of the fields this source owns, reading context[name] for its loaders. */
  readonly resolvers: IResolvers;
  /** Fresh per-request DataLoaders (placed on the context under the source name). */
  createLoaders(scope: RequestScope): TLoaders;
  /** Readiness probe: resolves when the upstream answers, rejects otherwise. */
  ping(signal: AbortSignal): Promise<void>;
}
