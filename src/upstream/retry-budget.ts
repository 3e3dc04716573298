/**
 * A retry budget per source (the idea of Finagle's RetryBudget and Envoy's retry budgets): over a
 * rolling window, retries may add at most `ratio` of the calls made, plus a small floor so that a
 * quiet source can still retry. When an upstream starts failing everywhere, retries stop adding
 * load as soon as the budget is spent, instead of tripling it.
 */

/** Options of a retry budget; resilience.ts gives the defaults. */
export interface RetryBudgetLimits {
  /** Retries allowed per call made in the window. */
  ratio: number;
  /** Retries allowed per window whatever the traffic. */
  minRetries: number;
  /** Length of the rolling window, in ms. */
  windowMs: number;
}

/** The budget of one source. */
export interface RetryBudget {
  /** Counts one call (its first attempt; retries are not calls). */
  recordCall(): void;
  /** Takes one retry from the budget; false when it is spent (do not retry). */
  tryRetry(): boolean;
}

/** The window is kept as this many buckets, so it slides in steps of a tenth of its length. */
const BUCKETS = 10;

/** Creates a budget; `now` is injectable for tests. */
export function createRetryBudget(
  { ratio, minRetries, windowMs }: RetryBudgetLimits,
  now: () => number = Date.now,
): RetryBudget {
  const bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS));
  // Per bucket: which time slot it holds, and the calls and retries counted in that slot.
  const slots = new Float64Array(BUCKETS).fill(-1);
  const calls = new Float64Array(BUCKETS);
  const retries = new Float64Array(BUCKETS);

  /** The bucket of the current time slot, emptied if it last held an older slot. */
  function current(): number {
    const slot = Math.floor(now() / bucketMs);
    const index = slot % BUCKETS;
    if (slots[index] !== slot) {
      slots[index] = slot;
      calls[index] = 0;
      retries[index] = 0;
    }
    return index;
  }

  return {
    recordCall() {
      calls[current()]! += 1;
    },
    tryRetry() {
      const index = current();
      const oldest = slots[index]! - BUCKETS + 1;
      let windowCalls = 0;
      let windowRetries = 0;
      for (let i = 0; i < BUCKETS; i++) {
        if (slots[i]! < oldest) continue;
        windowCalls += calls[i]!;
        windowRetries += retries[i]!;
      }
      if (windowRetries >= minRetries + ratio * windowCalls) return false;
      retries[index]! += 1;
      return true;
    },
  };
}
