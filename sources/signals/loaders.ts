/** Per-request DataLoaders of the signals source: one upstream call per tick, whatever the fan-out. */
import DataLoader from 'dataloader';
import type { RequestScope } from '../../src/gateway/source.js';
import { isUpstreamError } from '../../src/upstream/errors.js';
import type { SignalsClient } from './client.js';
import { toSignalsClientError } from './errors.js';
import { MAX_BATCH_IDS, type Signal } from './types.js';

/** The signals source's loaders, placed on the context as `context.signals`. */
export interface SignalsLoaders {
  /** Signals by token id; null when the token has none. */
  readonly signals: DataLoader<string, Signal | null>;
}

/** Creates fresh loaders for one request; upstream calls carry the request's signal and id. */
export function createSignalsLoaders(client: SignalsClient, scope: RequestScope): SignalsLoaders {
  const options = { signal: scope.signal, requestId: scope.requestId, scope: scope.telemetry };
  const signals = new DataLoader<string, Signal | null>(
    async (ids) => {
      let found: Signal[];
      try {
        found = await client.getSignals(ids, options);
      } catch (err) {
        // The client error keeps nothing of the cause: the detail is only ever seen in server logs.
        if (isUpstreamError(err))
          scope.log.warn({ err, source: 'signals', code: err.code }, 'signals call failed');
        throw toSignalsClientError(err);
      }
      const byId = new Map(found.map((signal) => [signal.tokenId, signal]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxBatchSize: MAX_BATCH_IDS },
  );
  return { signals };
}
