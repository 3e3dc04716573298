/** The JSON shapes of the signals upstream (openapi.yaml). */

/** Ratings a signal can carry; identical to the GraphQL enum `SignalRating`. */
export type SignalRating = 'BULLISH' | 'NEUTRAL' | 'BEARISH';

/** The current signal of one token. */
export interface Signal {
  tokenId: string;
  rating: SignalRating;
  /** Model confidence, an integer within 0..100. */
  score: number;
  /** Grade of the model that produced the signal, `A` (best) to `D`. */
  modelGrade: string;
  /** ISO 8601 instant the signal was computed at. */
  updatedAt: string;
}

/** Batch limit of `GET /v1/signals?tokenIds=`. */
export const MAX_BATCH_IDS = 500;

/** One event of `GET /v1/stream/signals`: the new signal of a token. */
export interface SignalTick {
  tokenId: string;
  rating: SignalRating;
  /** Model confidence, an integer within 0..100. */
  score: number;
  /** ISO 8601 instant the signal was computed at. */
  updatedAt: string;
}

/** Most ids one `GET /v1/stream/signals?ids=` follows. */
export const MAX_STREAM_IDS = 100;
