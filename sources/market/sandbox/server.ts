/**
 * The market sandbox: openapi.yaml served from the deterministic universe, with fault knobs, and
 * price ticks over SSE (prices.ts).
 */

import { createTickFeed, streamIds } from '../../sandbox-kit/feed.js';
import {
  badRequest,
  type JsonReply,
  type JsonRoute,
  notFound,
  ok,
  type RouteRequest,
  startJsonSandbox,
} from '../../sandbox-kit/http.js';
import type { RunningSandbox, SandboxOptions } from '../../sandbox-kit/types.js';
import { tokensById } from '../../sandbox-kit/universe.js';
import { type CandleInterval, MAX_BATCH_IDS, MAX_CANDLES, MAX_PAGE_SIZE, MAX_STREAM_IDS } from '../types.js';
import { byMarketCap, candlesFor, marketById } from './data.js';
import { createPriceWalk } from './prices.js';

const TOKEN_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const INTERVALS: ReadonlySet<string> = new Set<CandleInterval>(['5m', '1h', '1d']);

/** Parses an optional integer query parameter within bounds; a string is the 400 message. */
function intParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number | string {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  return value >= min && value <= max ? value : `${name} must be an integer within ${min}..${max}`;
}

function getTokens({ query }: RouteRequest): JsonReply {
  const ids = query.get('ids');
  if (ids === null) return listTokens(query);
  if (query.has('limit') || query.has('offset'))
    return badRequest('ids cannot be combined with limit or offset');
  const list = ids.split(',');
  if (ids === '' || list.length > MAX_BATCH_IDS)
    return badRequest(`ids must hold 1..${MAX_BATCH_IDS} token ids`);
  const bad = list.find((id) => !TOKEN_ID.test(id));
  if (bad !== undefined) return badRequest(`malformed token id "${bad.slice(0, 64)}"`);
  return ok({ data: [...new Set(list)].flatMap((id) => marketById.get(id) ?? []) });
}

function listTokens(query: URLSearchParams): JsonReply {
  const limit = intParam(query, 'limit', 20, 1, MAX_PAGE_SIZE);
  if (typeof limit === 'string') return badRequest(limit);
  const offset = intParam(query, 'offset', 0, 0, 1e9);
  if (typeof offset === 'string') return badRequest(offset);
  return ok({ data: byMarketCap.slice(offset, offset + limit), total: byMarketCap.length });
}

function getToken({ params }: RouteRequest): JsonReply {
  const id = params.id ?? '';
  if (!TOKEN_ID.test(id)) return badRequest('malformed token id');
  const token = marketById.get(id);
  return token ? ok(token) : notFound();
}

function getCandles({ params, query }: RouteRequest): JsonReply {
  const id = params.id ?? '';
  if (!TOKEN_ID.test(id)) return badRequest('malformed token id');
  const interval = query.get('interval') ?? '1h';
  if (!INTERVALS.has(interval)) return badRequest('interval must be one of 5m, 1h, 1d');
  const limit = intParam(query, 'limit', 24, 1, MAX_CANDLES);
  if (typeof limit === 'string') return badRequest(limit);
  const candles = candlesFor(id, interval as CandleInterval, limit);
  return candles ? ok({ data: candles }) : notFound();
}

/** The routes of openapi.yaml; the route strings are the keys of `stats.byRoute`. */
export const marketRoutes: readonly JsonRoute[] = [
  { route: 'GET /v1/tokens', handle: getTokens },
  { route: 'GET /v1/tokens/{id}', handle: getToken },
  { route: 'GET /v1/tokens/{id}/candles', handle: getCandles },
  { route: 'GET /healthz', handle: () => ok({ ok: true }) },
];

/** Route of the price stream, the key of `stats.byRoute` and `stats.streams.byRoute`. */
export const PRICE_STREAM_ROUTE = 'GET /v1/stream/prices';

export interface MarketSandboxOptions extends SandboxOptions {
  /** Clock of the ticks' `updatedAt`. @default () => new Date() */
  now?: () => Date;
}

export interface MarketSandbox extends RunningSandbox {
  /** Makes the next tick of `tokenId` carry exactly `usd` (a decimal string). */
  setNextPrice(tokenId: string, usd: string): void;
}

/** Starts the market sandbox (127.0.0.1 on a free port unless told otherwise). */
export async function startMarketSandbox({
  now = () => new Date(),
  ...options
}: MarketSandboxOptions = {}): Promise<MarketSandbox> {
  const walk = createPriceWalk(now);
  const feed = createTickFeed('price', (id) => walk.next(id));
  const sandbox = await startJsonSandbox({
    ...options,
    name: 'market',
    routes: marketRoutes,
    streams: [
      {
        route: PRICE_STREAM_ROUTE,
        accept({ query }) {
          const ids = streamIds(query, MAX_STREAM_IDS, TOKEN_ID, (id) => tokensById.has(id));
          return 'status' in ids ? ids : feed.attach(ids);
        },
      },
    ],
  });
  sandbox.control.streams.onTick(() => feed.tick());
  return { ...sandbox, setNextPrice: (tokenId, usd) => walk.setNext(tokenId, usd) };
}
