/** Typed client of the market upstream (openapi.yaml) over an injected HttpUpstream. */
import { z } from 'zod';
import { inChunks } from '../../src/upstream/batch-loader.js';
import type { UpstreamCallOptions } from '../../src/upstream/call.js';
import { isUpstreamError, UpstreamError } from '../../src/upstream/errors.js';
import type { HttpUpstream } from '../../src/upstream/http.js';
import { parseEventJson } from '../../src/upstream/sse.js';
import {
  type Candle,
  type CandleInterval,
  MAX_BATCH_IDS,
  type PriceTick,
  type TokenMarket,
  type TokenPage,
} from './types.js';

/** The market upstream's operations. Failures throw UpstreamError; 404s of single lookups are null. */
export interface MarketClient {
  /** Known tokens among `ids` (batch endpoint; more than 500 ids go out as parallel chunks). */
  getTokens(ids: readonly string[], options?: UpstreamCallOptions): Promise<TokenMarket[]>;
  /** One token, or null when the upstream does not know it. */
  getToken(id: string, options?: UpstreamCallOptions): Promise<TokenMarket | null>;
  /** One page of tokens by market capitalisation, largest first. */
  listTokens(limit: number, offset: number, options?: UpstreamCallOptions): Promise<TokenPage>;
  /** The most recent candles of a token, oldest first, or null for an unknown token. */
  getCandles(
    id: string,
    interval: CandleInterval,
    limit: number,
    options?: UpstreamCallOptions,
  ): Promise<Candle[] | null>;
  /** Resolves when `GET /healthz` answers 2xx. */
  ping(signal: AbortSignal): Promise<void>;
  /**
   * Price ticks of `ids` (1..MAX_STREAM_IDS, all known to the market, else BAD_USER_INPUT) from
   * `GET /v1/stream/prices`, until `signal` aborts or the upstream ends the stream. Not retried:
   * see HttpUpstream.stream. A malformed tick throws UPSTREAM_UNAVAILABLE.
   */
  streamPrices(ids: readonly string[], signal: AbortSignal): AsyncIterable<PriceTick>;
}

const priceTick = z.object({
  tokenId: z.string(),
  usd: z.string().regex(/^\d+(?:\.\d+)?$/),
  change24h: z.number().nullable(),
  updatedAt: z.iso.datetime(),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Creates the client; it keeps no state besides the upstream it is given. */
export function createMarketClient(upstream: HttpUpstream): MarketClient {
  const get = <T>(path: string, route: string, options?: UpstreamCallOptions): Promise<T> =>
    upstream.getJson<T>(path, { ...options, route });

  // Only the envelope and the ids the loaders key on are checked: a cheap guard against an
  // upstream that answers JSON of another shape, which would otherwise surface as a TypeError.
  const contractError = (path: string) =>
    new UpstreamError('UPSTREAM_UNAVAILABLE', upstream.name, `unexpected body shape from GET ${path}`);

  async function getTokenChunk(
    ids: readonly string[],
    options?: UpstreamCallOptions,
  ): Promise<TokenMarket[]> {
    const body = await get<unknown>(
      `/v1/tokens?ids=${ids.map(encodeURIComponent).join(',')}`,
      '/v1/tokens',
      options,
    );
    if (!isRecord(body) || !Array.isArray(body.data)) throw contractError('/v1/tokens');
    const data = body.data as unknown[];
    if (!data.every((token) => isRecord(token) && typeof token.id === 'string'))
      throw contractError('/v1/tokens');
    return data as TokenMarket[];
  }

  return {
    getTokens: (ids, options) => inChunks(ids, MAX_BATCH_IDS, (chunk) => getTokenChunk(chunk, options)),

    async getToken(id, options) {
      try {
        const token = await get<unknown>(`/v1/tokens/${encodeURIComponent(id)}`, '/v1/tokens/{id}', options);
        if (!isRecord(token) || typeof token.id !== 'string') throw contractError('/v1/tokens/{id}');
        return token as unknown as TokenMarket;
      } catch (err) {
        if (isUpstreamError(err) && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    },

    async listTokens(limit, offset, options) {
      const body = await get<unknown>(`/v1/tokens?limit=${limit}&offset=${offset}`, '/v1/tokens', options);
      if (!isRecord(body) || !Array.isArray(body.data) || typeof body.total !== 'number') {
        throw contractError('/v1/tokens');
      }
      return body as unknown as TokenPage;
    },

    async getCandles(id, interval, limit, options) {
      const path = `/v1/tokens/${encodeURIComponent(id)}/candles?interval=${interval}&limit=${limit}`;
      try {
        const body = await get<unknown>(path, '/v1/tokens/{id}/candles', options);
        if (!isRecord(body) || !Array.isArray(body.data)) throw contractError('/v1/tokens/{id}/candles');
        return body.data as Candle[];
      } catch (err) {
        if (isUpstreamError(err) && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    },

    async ping(signal) {
      await get<unknown>('/healthz', '/healthz', { signal });
    },

    async *streamPrices(ids, signal) {
      const wanted = new Set(ids);
      const path = `/v1/stream/prices?ids=${ids.map(encodeURIComponent).join(',')}`;
      for await (const { event, data } of upstream.stream(path, { signal })) {
        if (event !== 'price') continue; // other event types are for other clients: ignored, as SSE intends
        const tick = parseEventJson(priceTick, data);
        if (!tick || !wanted.has(tick.tokenId)) throw contractError('/v1/stream/prices');
        yield tick;
      }
    },
  };
}
