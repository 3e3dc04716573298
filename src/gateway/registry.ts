/**
 * The source registry: one line per upstream. Each entry knows its transport, how to build its
 * Source over a connected upstream, and how to start its sandbox for demo mode and tests.
 */

import type { ServiceClientConstructor } from '@grpc/grpc-js';
import { createMarketSource, marketDefinition } from '../../sources/market/index.js';
import {
  createPortfolioSource,
  portfolioDefinition,
  portfolioService,
} from '../../sources/portfolio/index.js';
import type { RunningSandbox, SandboxOptions } from '../../sources/sandbox-kit/types.js';
import { createSignalsSource, signalsDefinition } from '../../sources/signals/index.js';
import { createTradingSource, tradingDefinition, tradingService } from '../../sources/trading/index.js';
import { createGrpcUpstream, type GrpcUpstream } from '../upstream/grpc.js';
import { createHttpUpstream, type HttpUpstream } from '../upstream/http.js';
import type { UpstreamObserver } from '../upstream/observer.js';
import type { ResilienceOptions } from '../upstream/resilience.js';
import type { Source, SourceDefinition } from './source.js';

/** A source bound to its live upstream connection. */
export interface ConnectedSource<S extends Source = Source> {
  readonly source: S;
  close(): Promise<void>;
}

type StartSandbox = (options?: SandboxOptions) => Promise<RunningSandbox>;

interface RegistryEntry<S extends Source> {
  readonly transport: 'http' | 'grpc';
  /** SDL and resolvers without a connection: what schema:print and schema:check compose. */
  readonly definition: SourceDefinition;
  /** `observer` receives every call of the upstream (metrics, tracing). */
  connect(
    target: string,
    timeoutMs: number,
    observer?: UpstreamObserver,
    resilience?: ResilienceOptions,
  ): ConnectedSource<S>;
  /** Loaded lazily: production never imports sandbox code. */
  loadSandbox(): Promise<StartSandbox>;
}

function http<S extends Source>(
  definition: SourceDefinition,
  create: (upstream: HttpUpstream) => S,
  loadSandbox: () => Promise<StartSandbox>,
): RegistryEntry<S> {
  const { name } = definition;
  return {
    transport: 'http',
    definition,
    connect(target, timeoutMs, observer, resilience) {
      const upstream = createHttpUpstream({ name, url: target, timeoutMs, observer, resilience });
      return { source: create(upstream), close: () => upstream.close() };
    },
    loadSandbox,
  };
}

function grpc<S extends Source>(
  definition: SourceDefinition,
  service: ServiceClientConstructor,
  create: (upstream: GrpcUpstream) => S,
  loadSandbox: () => Promise<StartSandbox>,
): RegistryEntry<S> {
  const { name } = definition;
  return {
    transport: 'grpc',
    definition,
    connect(target, timeoutMs, observer, resilience) {
      const upstream = createGrpcUpstream(service, {
        name,
        address: target,
        deadlineMs: timeoutMs,
        observer,
        resilience,
      });
      return { source: create(upstream), close: async () => upstream.close() };
    },
    loadSandbox,
  };
}

export const sourceRegistry = {
  market: http(
    marketDefinition,
    createMarketSource,
    async () => (await import('../../sources/market/sandbox/server.js')).startMarketSandbox,
  ),
  signals: http(
    signalsDefinition,
    createSignalsSource,
    async () => (await import('../../sources/signals/sandbox/server.js')).startSignalsSandbox,
  ),
  portfolio: grpc(
    portfolioDefinition,
    portfolioService,
    createPortfolioSource,
    async () => (await import('../../sources/portfolio/sandbox/server.js')).startPortfolioSandbox,
  ),
  trading: grpc(
    tradingDefinition,
    tradingService,
    createTradingSource,
    async () => (await import('../../sources/trading/sandbox/server.js')).startTradingSandbox,
  ),
};

export type SourceName = keyof typeof sourceRegistry;
export const sourceNames = Object.keys(sourceRegistry) as SourceName[];

/** The connected sources, by name. */
export type ConnectedSources = {
  [K in SourceName]: ConnectedSource<ReturnType<(typeof sourceRegistry)[K]['connect']>['source']>;
};

/** Per-request loaders of every source, by source name (they sit on the context under that name). */
export type SourceLoaders = { [K in SourceName]: ReturnType<ConnectedSources[K]['source']['createLoaders']> };

/** Every source's SDL and resolvers, in registry order, without connecting anything. */
export function sourceDefinitions(): SourceDefinition[] {
  return sourceNames.map((name) => sourceRegistry[name].definition);
}

/**
 * Connects every source to its upstream target (`http://…` for REST, `host:port` for gRPC); every
 * upstream reports its calls to `observer` (main.ts passes the instance's metrics and tracing).
 */
export function connectSources(
  targets: Record<SourceName, string>,
  timeoutMs: number,
  observer?: UpstreamObserver,
  resilience?: ResilienceOptions,
): ConnectedSources {
  const connected = sourceNames.map((name) => [
    name,
    sourceRegistry[name].connect(targets[name], timeoutMs, observer, resilience),
  ]);
  return Object.fromEntries(connected) as ConnectedSources;
}

/** Starts every sandbox in-process (demo mode and tests). */
export async function startSandboxes(
  options: SandboxOptions = {},
): Promise<Record<SourceName, RunningSandbox>> {
  const entries = await Promise.all(
    sourceNames.map(
      async (name) => [name, await (await sourceRegistry[name].loadSandbox())(options)] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<SourceName, RunningSandbox>;
}
