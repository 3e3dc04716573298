/** The signals source: extends market's `Token` with its current trading `signal`. */
import { readFileSync } from 'node:fs';
import {
  httpSource,
  type Source,
  type SourceDefinition,
  type SourceSetup,
  TOKEN_REFERENCE,
} from '../../src/gateway/source.js';
import { createLatestValueFeed } from '../../src/streams/latest-value-feed.js';
import type { HttpUpstream } from '../../src/upstream/http.js';
import { createSignalsClient } from './client.js';
import { createSignalsLoaders } from './loaders.js';
import { type SignalsContext, signalsReferences, signalsResolvers } from './resolvers.js';

export type { SignalsClient } from './client.js';
export type { SignalsLoaders } from './loaders.js';
export type { SignalsContext } from './resolvers.js';
export type { Signal, SignalRating } from './types.js';

/** The source's SDL and resolvers, available without connecting (schema artifacts, checks). */
export const signalsDefinition = {
  name: 'signals',
  typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
  resolvers: signalsResolvers,
  references: signalsReferences,
} as const satisfies SourceDefinition;

/** Builds the signals source over its upstream (one pooled HttpUpstream per process). */
export function createSignalsSource(
  upstream: HttpUpstream,
  { streams }: SourceSetup = {},
): Source<'signals', SignalsContext['signals']> {
  const client = createSignalsClient(upstream);
  const changes = createLatestValueFeed({
    name: 'signals.changes',
    source: 'signals',
    open: (tokenId, signal) => client.streamSignals([tokenId], signal),
    blocked: () => upstream.circuitState() === 'open',
    idOf: (tick) => tick.tokenId,
    observer: streams,
  });
  return {
    ...signalsDefinition,
    createLoaders: (scope) => ({ ...createSignalsLoaders(client, scope), changes }),
    ping: (signal) => client.ping(signal),
    close: () => changes.close(),
  };
}

/** The signals source as the gateway plugs it in (sources/index.ts). */
export const signalsSource = httpSource({
  definition: signalsDefinition,
  variable: 'SIGNALS_URL',
  defaultPort: 7002,
  create: createSignalsSource,
  codegen: {
    context: '../resolvers.js#SignalsContext',
    mappers: { Token: TOKEN_REFERENCE, Signal: '../types.js#Signal', SignalUpdate: '../types.js#SignalTick' },
  },
  sandboxScript: 'sources/signals/sandbox/main.ts',
  loadSandbox: async () => (await import('./sandbox/server.js')).startSignalsSandbox,
});
