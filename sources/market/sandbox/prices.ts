/**
 * The price ticks of `GET /v1/stream/prices`: each tick, a token's price takes one step of a random
 * walk that starts at its REST price (the REST routes keep answering the universe's price). The
 * walk is seeded, so a run is reproducible given the same subscriptions and ticks.
 */
import { createRandom } from '../../sandbox-kit/random.js';
import type { UniverseToken } from '../../sandbox-kit/universe.js';
import { tokensById } from '../../sandbox-kit/universe.js';
import type { PriceTick } from '../types.js';
import { price } from './data.js';

/** Largest relative step of one tick. */
const STEP = 0.002;

/** The prices of one sandbox instance. */
export interface PriceWalk {
  /** The next tick of a universe token, or null for an id the universe does not know. */
  next(tokenId: string): PriceTick | null;
  /** Makes the next tick of `tokenId` carry exactly `usd`; the walk goes on from there. */
  setNext(tokenId: string, usd: string): void;
}

/** Creates the walk; `now` stamps each tick. */
export function createPriceWalk(now: () => Date, seed = 0x9e1c35): PriceWalk {
  const random = createRandom(seed);
  const current = new Map<string, number>();
  const pinned = new Map<string, string>();

  function step(token: UniverseToken): { value: number; usd: string } {
    const fixed = pinned.get(token.id);
    if (fixed !== undefined) {
      pinned.delete(token.id);
      return { value: Number(fixed), usd: fixed };
    }
    const base = Number(token.priceUsd);
    const previous = current.get(token.id) ?? base;
    // Bounded around the REST price, so a long run never walks a token to zero.
    const value = Math.min(base * 10, Math.max(base / 10, previous * (1 + (random.float() * 2 - 1) * STEP)));
    return { value, usd: price(value) };
  }

  return {
    next(tokenId) {
      const token = tokensById.get(tokenId);
      if (!token) return null;
      const { value, usd } = step(token);
      current.set(tokenId, value);
      const drift = (value / Number(token.priceUsd) - 1) * 100;
      return {
        tokenId,
        usd,
        change24h: Math.round((token.change24h + drift) * 100) / 100,
        updatedAt: now().toISOString(),
      };
    },
    setNext(tokenId, usd) {
      if (!tokensById.has(tokenId)) throw new RangeError(`unknown token ${tokenId}`);
      if (!/^\d+(?:\.\d+)?$/.test(usd)) throw new RangeError(`usd must be a decimal string, got "${usd}"`);
      pinned.set(tokenId, usd);
    },
  };
}
