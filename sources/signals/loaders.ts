/** Per-request DataLoaders of the signals source: one upstream call per tick, whatever the fan-out. */
import type { RequestScope } from '../../src/gateway/source.js';
import { createBatchLoader, type SettledLoader } from '../../src/upstream/batch-loader.js';
import { createUpstreamCalls } from '../../src/upstream/call.js';
import type { SignalsClient } from './client.js';
import { MAX_BATCH_IDS, type Signal } from './types.js';

/** The signals source's loaders, placed on the context as `context.signals`. */
export interface SignalsLoaders {
  /** Signals by token id; null when the token has none. */
  readonly signals: SettledLoader<string, Signal | null>;
}

/** Creates fresh loaders for one request; upstream calls carry the request's signal and id. */
export function createSignalsLoaders(client: SignalsClient, scope: RequestScope): SignalsLoaders {
  const signals = createBatchLoader(createUpstreamCalls(scope), {
    batch: (ids, options) => client.getSignals(ids, options),
    keyOf: (signal) => signal.tokenId,
    maxBatchSize: MAX_BATCH_IDS,
  });
  return { signals };
}
