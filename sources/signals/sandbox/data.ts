/**
 * The signals the sandbox serves: a pure function of the token id, so tests compare the gateway's
 * answers to `signalFor` directly. Only universe tokens have signals, and one in seven (by hash)
 * has none, so "no signal" is exercised by ordinary data.
 */
import { createRandom, hashString } from '../../sandbox-kit/random.js';
import { tokensById, UNIVERSE_EPOCH } from '../../sandbox-kit/universe.js';
import type { Signal, SignalRating } from '../types.js';

const RATINGS: readonly SignalRating[] = ['BULLISH', 'NEUTRAL', 'BEARISH'];
const GRADES: readonly string[] = ['A', 'B', 'C', 'D'];

/** The signal of a token, or null when the token is unknown or the model has none for it. */
export function signalFor(tokenId: string): Signal | null {
  if (!tokensById.has(tokenId)) return null;
  const hash = hashString(tokenId);
  if (hash % 7 === 0) return null;
  const random = createRandom(hash);
  return {
    tokenId,
    rating: RATINGS[random.int(RATINGS.length)] ?? 'NEUTRAL',
    score: random.int(101),
    modelGrade: GRADES[random.int(GRADES.length)] ?? 'D',
    updatedAt: UNIVERSE_EPOCH,
  };
}
