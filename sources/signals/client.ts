/** Typed client of the signals upstream (openapi.yaml) over an injected HttpUpstream. */
import { inChunks } from '../../src/upstream/batch-loader.js';
import type { UpstreamCallOptions } from '../../src/upstream/call.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import type { HttpUpstream } from '../../src/upstream/http.js';
import { MAX_BATCH_IDS, type Signal } from './types.js';

/** The signals upstream's operations. Failures throw UpstreamError. */
export interface SignalsClient {
  /** Signals of the tokens among `ids` that have one (more than 500 ids go out as parallel chunks). */
  getSignals(ids: readonly string[], options?: UpstreamCallOptions): Promise<Signal[]>;
  /** Resolves when `GET /healthz` answers 2xx. */
  ping(signal: AbortSignal): Promise<void>;
}

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
  };
}
