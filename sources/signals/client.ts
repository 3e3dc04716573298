/** Typed client of the signals upstream (openapi.yaml) over an injected HttpUpstream. */
import { z } from 'zod';
import { inChunks } from '../../src/upstream/batch-loader.js';
import type { UpstreamCallOptions } from '../../src/upstream/call.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import type { HttpUpstream } from '../../src/upstream/http.js';
import { parseEventJson } from '../../src/upstream/sse.js';
import { MAX_BATCH_IDS, type Signal, type SignalTick } from './types.js';

/** The signals upstream's operations. Failures throw UpstreamError. */
export interface SignalsClient {
  /** Signals of the tokens among `ids` that have one (more than 500 ids go out as parallel chunks). */
  getSignals(ids: readonly string[], options?: UpstreamCallOptions): Promise<Signal[]>;
  /** Resolves when `GET /healthz` answers 2xx. */
  ping(signal: AbortSignal): Promise<void>;
  /**
   * Signal changes of `ids` (1..MAX_STREAM_IDS, all known tokens, else BAD_USER_INPUT) from
   * `GET /v1/stream/signals`, until `signal` aborts or the upstream ends the stream; tokens without
   * a signal never tick. Not retried: see HttpUpstream.stream. A malformed event throws
   * UPSTREAM_UNAVAILABLE.
   */
  streamSignals(ids: readonly string[], signal: AbortSignal): AsyncIterable<SignalTick>;
}

const signalTick = z.object({
  tokenId: z.string(),
  rating: z.enum(['BULLISH', 'NEUTRAL', 'BEARISH']),
  score: z.int().min(0).max(100),
  updatedAt: z.iso.datetime(),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Creates the client; it keeps no state besides the upstream it is given. */
export function createSignalsClient(upstream: HttpUpstream): SignalsClient {
  const get = <T>(path: string, route: string, options?: UpstreamCallOptions) =>
    upstream.getJson<T>(path, { ...options, route });

  async function getChunk(ids: readonly string[], options?: UpstreamCallOptions): Promise<Signal[]> {
    const body = await get<unknown>(
      `/v1/signals?tokenIds=${ids.map(encodeURIComponent).join(',')}`,
      '/v1/signals',
      options,
    );
    // Only the envelope and the ids the loader keys on are checked: a cheap guard against JSON of
    // another shape, which would otherwise surface as a TypeError.
    const data = isRecord(body) && Array.isArray(body.data) ? (body.data as unknown[]) : undefined;
    if (!data?.every((signal) => isRecord(signal) && typeof signal.tokenId === 'string')) {
      throw new UpstreamError(
        'UPSTREAM_UNAVAILABLE',
        upstream.name,
        'unexpected body shape from GET /v1/signals',
      );
    }
    return data as Signal[];
  }

  return {
    getSignals: (ids, options) => inChunks(ids, MAX_BATCH_IDS, (chunk) => getChunk(chunk, options)),

    async ping(signal) {
      await get<unknown>('/healthz', '/healthz', { signal });
    },

    async *streamSignals(ids, signal) {
      const wanted = new Set(ids);
      const path = `/v1/stream/signals?ids=${ids.map(encodeURIComponent).join(',')}`;
      for await (const { event, data } of upstream.stream(path, { signal })) {
        if (event !== 'signal') continue; // other event types are for other clients: ignored, as SSE intends
        const tick = parseEventJson(signalTick, data);
        if (!tick || !wanted.has(tick.tokenId)) {
          throw new UpstreamError(
            'UPSTREAM_UNAVAILABLE',
            upstream.name,
            'malformed event from /v1/stream/signals',
          );
        }
        yield tick;
      }
    },
  };
}
