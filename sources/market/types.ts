/** The JSON shapes of the market upstream (openapi.yaml). Money and quantities are decimal strings. */

/** Current price data of a token. */
export interface TokenPrice {
  /** USD price, decimal string. */
  usd: string;
  /** Change over 24 hours, in percent. */
  change24h: number;
  /** USD volume over 24 hours, decimal string. */
  volume24h: string;
  /** USD market capitalisation, decimal string. */
  marketCap: string;
  /** ISO 8601 instant of the price. */
  updatedAt: string;
}

/** A token with its market data, as `GET /v1/tokens/{id}` answers it. */
export interface TokenMarket {
  id: string;
  symbol: string;
  name: string;
  chain: string | null;
  /** Tokens in circulation, decimal string. */
  circulatingSupply: string;
  price: TokenPrice;
}

/** One page of `GET /v1/tokens?limit&offset`, ordered by market capitalisation, largest first. */
export interface TokenPage {
  data: TokenMarket[];
  /** How many tokens the market knows. */
  total: number;
}

/** Candle widths the upstream serves. */
export type CandleInterval = '5m' | '1h' | '1d';

/** One OHLCV candle; prices in USD, volume in USD traded during the interval. */
export interface Candle {
  /** ISO 8601 instant the interval starts at. */
  openTime: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

/** Batch limit of `GET /v1/tokens?ids=`. */
export const MAX_BATCH_IDS = 500;
/** Page size limit of `GET /v1/tokens?limit=`. */
export const MAX_PAGE_SIZE = 100;
/** Limit of `GET /v1/tokens/{id}/candles?limit=`. */
export const MAX_CANDLES = 500;

/** One event of `GET /v1/stream/prices`: the new price of a token. */
export interface PriceTick {
  tokenId: string;
  /** USD price, decimal string. */
  usd: string;
  /** Change over 24 hours, in percent; null when the upstream does not know it. */
  change24h: number | null;
  /** ISO 8601 instant of the price. */
  updatedAt: string;
}

/** Most ids one `GET /v1/stream/prices?ids=` follows. */
export const MAX_STREAM_IDS = 100;
