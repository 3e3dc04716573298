/**
 * What the exchange sandbox serves, derived from the shared universe: the price of an asset and
 * the balances of an API key. Pure functions of the universe and the key, so tests compare
 * against them.
 */
import { createRandom, hashString } from '../../sandbox-kit/random.js';
import { tokens, tokensById } from '../../sandbox-kit/universe.js';

/** One asset of `GET /api/v1/account`; quantities with exactly 8 fractional digits. */
export interface ExchangeBalance {
  asset: string;
  free: string;
  locked: string;
}

/** One price of `GET /api/v1/ticker/price`. */
export interface AssetPrice {
  asset: string;
  usd: string;
}

/** Fewest and most assets an account holds. */
export const MIN_BALANCES = 3;
export const MAX_BALANCES = 8;

const UNITS_PER_COIN = 100_000_000n;

/** Units of 1e-8 as a decimal with exactly 8 fractional digits. */
function eightPlaces(units: bigint): string {
  return `${units / UNITS_PER_COIN}.${(units % UNITS_PER_COIN).toString().padStart(8, '0')}`;
}

/** The USD price of each known asset among `ids`, each once, in the order asked; unknown ids are absent. */
export function pricesFor(ids: readonly string[]): AssetPrice[] {
  return [...new Set(ids)].flatMap((id) => {
    const token = tokensById.get(id);
    return token ? [{ asset: id, usd: token.priceUsd }] : [];
  });
}

/**
 * The balances of an API key: 3 to 8 distinct universe assets, sorted by asset id, each worth
 * $10..$100,000, about a third of them partly locked. Seeded by the key, so the same key always
 * holds the same balances and two keys almost never do.
 */
export function balancesFor(apiKey: string): ExchangeBalance[] {
  const random = createRandom(hashString(`exchange/${apiKey}`));
  const count = MIN_BALANCES + random.int(MAX_BALANCES - MIN_BALANCES + 1);
  // A partial Fisher-Yates shuffle: `count` distinct assets.
  const pool = [...tokens];
  const balances: ExchangeBalance[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + random.int(pool.length - i);
    const token = pool[j]!;
    pool[j] = pool[i]!;
    const usdValue = 10 * 10 ** (random.float() * 4);
    const total = BigInt(Math.max(1, Math.round((usdValue / Number(token.priceUsd)) * 1e8)));
    const lockedPercent = random.float() < 1 / 3 ? BigInt(1 + random.int(50)) : 0n;
    const locked = (total * lockedPercent) / 100n;
    balances.push({ asset: token.id, free: eightPlaces(total - locked), locked: eightPlaces(locked) });
  }
  return balances.sort((a, b) => (a.asset < b.asset ? -1 : 1));
}
