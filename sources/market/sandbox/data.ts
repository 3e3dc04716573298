/**
 * What the market sandbox serves, derived from the shared universe: token records, the market-cap
 * ranking and candles. Everything is a pure function of the universe, so tests compare against it.
 */
import { createRandom, hashString } from '../../sandbox-kit/random.js';
import { tokens, tokensById, UNIVERSE_EPOCH, type UniverseToken } from '../../sandbox-kit/universe.js';
import type { Candle, CandleInterval, TokenMarket } from '../types.js';

/** The market record of a universe token. */
export function toTokenMarket(token: UniverseToken): TokenMarket {
  return {
    id: token.id,
    symbol: token.symbol,
    name: token.name,
    chain: token.chain,
    circulatingSupply: token.circulatingSupply,
    price: {
      usd: token.priceUsd,
      change24h: token.change24h,
      volume24h: token.volume24hUsd,
      marketCap: token.marketCapUsd,
      updatedAt: UNIVERSE_EPOCH,
    },
  };
}

/** Market records by id. */
export const marketById: ReadonlyMap<string, TokenMarket> = new Map(
  tokens.map((token) => [token.id, toTokenMarket(token)]),
);

/** Every market record, largest market capitalisation first (ties by id). */
export const byMarketCap: readonly TokenMarket[] = [...marketById.values()].sort(
  (a, b) => Number(b.price.marketCap) - Number(a.price.marketCap) || (a.id < b.id ? -1 : 1),
);

/** Length of each candle interval, in ms. */
export const INTERVAL_MS: Readonly<Record<CandleInterval, number>> = {
  '5m': 300_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

const VOLATILITY: Readonly<Record<CandleInterval, number>> = { '5m': 0.002, '1h': 0.008, '1d': 0.035 };

/** Plain decimal notation without trailing fractional zeros (never an exponent below 1e21). */
function decimal(value: number, digits: number): string {
  const fixed = value.toFixed(digits);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** A USD price as the market writes it: 2 fractional digits, 8 below one dollar. */
export const price = (value: number): string => decimal(value, value < 1 ? 8 : 2);

/**
 * The `limit` most recent candles of a token, oldest first. The newest candle ends at
 * UNIVERSE_EPOCH and closes at the token's price; older ones walk back from it, seeded by the id
 * and the interval, so a longer limit extends the same series. Null for an unknown token.
 */
export function candlesFor(id: string, interval: CandleInterval, limit: number): Candle[] | null {
  const token = tokensById.get(id);
  if (!token) return null;
  const random = createRandom(hashString(`${id}/${interval}`));
  const step = INTERVAL_MS[interval];
  const volatility = VOLATILITY[interval];
  const volumePerCandle = (Number(token.volume24hUsd) * step) / INTERVAL_MS['1d'];
  const end = Date.parse(UNIVERSE_EPOCH);
  const candles: Candle[] = [];
  let close = Number(token.priceUsd);
  for (let i = 0; i < limit; i++) {
    const open = close * (1 + (random.float() * 2 - 1) * volatility);
    const high = Math.max(open, close) * (1 + (random.float() * volatility) / 2);
    const low = Math.min(open, close) * (1 - (random.float() * volatility) / 2);
    candles.push({
      openTime: new Date(end - (i + 1) * step).toISOString(),
      open: price(open),
      high: price(high),
      low: price(low),
      close: price(close),
      volume: decimal(volumePerCandle * (0.5 + random.float()), 2),
    });
    close = open;
  }
  return candles.reverse();
}
