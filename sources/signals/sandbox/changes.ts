/**
 * The signal changes of `GET /v1/stream/signals`: each tick, a token's score moves a few points
 * from its REST signal's score (the REST routes keep answering `signalFor`), and its rating follows
 * the score. Tokens without a signal (`signalFor` is null) never tick.
 */
import { createRandom } from '../../sandbox-kit/random.js';
import type { SignalRating, SignalTick } from '../types.js';
import { signalFor } from './data.js';

/** Largest move of the score in one tick, in points. */
const STEP = 3;

/** The rating a streamed score carries: BULLISH from 60, BEARISH up to 40, NEUTRAL between. */
export function ratingOf(score: number): SignalRating {
  if (score >= 60) return 'BULLISH';
  if (score <= 40) return 'BEARISH';
  return 'NEUTRAL';
}

/** The scores of one sandbox instance: `next` is the following tick of a token, or null. */
export function createSignalChanges(
  now: () => Date,
  seed = 0x51c4a1,
): (tokenId: string) => SignalTick | null {
  const random = createRandom(seed);
  const scores = new Map<string, number>();
  return (tokenId) => {
    const previous = scores.get(tokenId) ?? signalFor(tokenId)?.score;
    if (previous === undefined) return null;
    const score = Math.min(100, Math.max(0, previous + random.int(2 * STEP + 1) - STEP));
    scores.set(tokenId, score);
    return { tokenId, rating: ratingOf(score), score, updatedAt: now().toISOString() };
  };
}
