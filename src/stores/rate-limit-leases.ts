/**
 * Local admission for large limits: in front of the shared (Redis) store, an instance takes a
 * limit's units a few dozen at a time — a lease — and admits later calls from it without a round
 * trip, until the lease is spent or ends (after `leaseMs`, and at the end of a cost window's bucket).
 *
 * What stays true, on any number of instances: no more than `max` units are ever admitted in a
 * window. Every leased unit is counted in Redis when it is leased, and a sliding log records the
 * lease's units at the lease's END (`stampMs`), so none of them leaves the window before the moment
 * it could last have been spent. What it costs: units leased by one instance and not spent are
 * refused to the others until they leave the window — at most one lease (`max / share` units, and
 * no more than `callsPerLease` calls' worth) per instance, limit and client. A lease is only taken
 * where it holds at least `minChunk` units and two calls: small limits (placeOrder's 10 a minute,
 * the exchange's per-hour limits) are decided in Redis on every call, as before. While one call
 * asks for a lease, the others of the same client and limit wait for it rather than ask too.
 */
import type { LimitCheck, LimitResult, RateLimitStore } from './rate-limit.js';

export interface RateLimitLeaseOptions {
  /** Longest a lease is spent from, in ms. @default 1000 */
  leaseMs?: number;
  /** A lease is this fraction of the limit: `floor(max / share)` units. @default 50 */
  share?: number;
  /** Fewer units than this: no lease, every call asks the store. @default 4 */
  minChunk?: number;
  /** Most calls (of the asking call's weight) one lease serves. @default 64 */
  callsPerLease?: number;
  /** Leases kept (one per client and limit); beyond it, the oldest are dropped. @default 10000 */
  maxLeases?: number;
}

interface Lease {
  readonly max: number;
  readonly windowMs: number;
  /** Units leased and not yet spent. */
  left: number;
  /** Units are spent from it before this time only. */
  expiresAt: number;
  /** What the store had left beyond the lease, for the RateLimit header. */
  readonly storeRemaining: number;
  readonly resetAt: number;
}

/** Wraps the shared store: the same contract, fewer round trips for limits large enough to lease. */
export function withRateLimitLeases(
  store: RateLimitStore,
  {
    leaseMs = 1000,
    share = 50,
    minChunk = 4,
    callsPerLease = 64,
    maxLeases = 10_000,
  }: RateLimitLeaseOptions = {},
): RateLimitStore {
  const leases = new Map<string, Lease>();
  // One lease asked for at a time per client and limit: a burst before the first answer would
  // otherwise lease a chunk per call, and what the burst does not spend would sit idle.
  const leasing = new Map<string, Promise<unknown>>();
  const chunkOf = (check: LimitCheck) =>
    Math.min(Math.floor(check.max / share), check.weight * callsPerLease);
  const keyOf = (check: LimitCheck) => `${check.owner}\n${check.key}`;

  function usable(check: LimitCheck, nowMs: number): Lease | undefined {
    const key = keyOf(check);
    const lease = leases.get(key);
    if (!lease) return undefined;
    if (lease.expiresAt <= nowMs || lease.max !== check.max || lease.windowMs !== check.windowMs) {
      leases.delete(key);
      return undefined;
    }
    return lease.left >= check.weight ? lease : undefined;
  }

  function fromLease(lease: Lease, nowMs: number): LimitResult {
    return {
      allowed: true,
      remaining: lease.storeRemaining + lease.left,
      resetMs: Math.max(0, lease.resetAt - nowMs),
      granted: 0,
    };
  }

  function keep(check: LimitCheck, result: LimitResult, nowMs: number, expiresAt: number): void {
    const left = result.granted - check.weight;
    if (left <= 0) return;
    const key = keyOf(check);
    const current = leases.get(key);
    // Units of two leases are spent before the earlier end: each unit before its own stamp.
    const merged =
      current &&
      current.expiresAt > nowMs &&
      current.max === check.max &&
      current.windowMs === check.windowMs;
    // Deleted and set again: the map's order is then the order of last lease (the eviction's).
    leases.delete(key);
    leases.set(key, {
      max: check.max,
      windowMs: check.windowMs,
      left: left + (merged ? current.left : 0),
      expiresAt: merged ? Math.min(current.expiresAt, expiresAt) : expiresAt,
      storeRemaining: result.remaining,
      resetAt: nowMs + result.resetMs,
    });
    if (leases.size > maxLeases) {
      for (const [oldKey, lease] of leases) {
        if (leases.size <= maxLeases * 0.9) break;
        if (lease.expiresAt <= nowMs || leases.size > maxLeases) leases.delete(oldKey);
      }
    }
  }

  return {
    async consume(checks, nowMs) {
      let local = checks.map((check) => usable(check, nowMs));
      if (local.includes(undefined)) {
        // A lease being fetched for one of the others: wait for it (once) instead of asking too.
        const pending = checks.flatMap((check, i) => {
          const fetching = local[i] ? undefined : leasing.get(keyOf(check));
          return fetching ? [fetching] : [];
        });
        if (pending.length > 0) {
          await Promise.all(pending);
          local = checks.map((check) => usable(check, nowMs));
        }
      }
      if (!local.includes(undefined)) {
        return checks.map((check, i) => {
          const lease = local[i]!;
          lease.left -= check.weight;
          return fromLease(lease, nowMs);
        });
      }
      // Whatever a lease covers is taken now and given back if the store refuses a gate.
      for (const [i, lease] of local.entries()) if (lease) lease.left -= checks[i]!.weight;
      const ends = new Map<LimitCheck, number>();
      const asked: LimitCheck[] = [];
      for (const [i, check] of checks.entries()) {
        if (local[i]) continue;
        const chunk = chunkOf(check);
        if (chunk < minChunk || chunk < 2 * check.weight || leasing.has(keyOf(check))) {
          asked.push(check);
          continue;
        }
        // A cost window's lease ends with its bucket: the next bucket counts from zero.
        const bucketEnd =
          check.kind === 'window' ? (Math.floor(nowMs / check.windowMs) + 1) * check.windowMs : Infinity;
        const end = Math.min(nowMs + leaseMs, bucketEnd);
        ends.set(check, end);
        asked.push({ ...check, want: check.weight + chunk, stampMs: check.kind === 'log' ? end : nowMs });
      }
      let answered: LimitResult[];
      const asking = store.consume(asked, nowMs);
      const settled = asking.catch(() => {});
      for (const check of ends.keys()) leasing.set(keyOf(check), settled);
      try {
        answered = await asking;
      } catch (err) {
        for (const [i, lease] of local.entries()) if (lease) lease.left += checks[i]!.weight;
        throw err;
      } finally {
        for (const check of ends.keys())
          if (leasing.get(keyOf(check)) === settled) leasing.delete(keyOf(check));
      }
      const gateRefused = answered.some((result, i) => asked[i]!.gate && !result.allowed);
      let next = 0;
      return checks.map((check, i) => {
        const lease = local[i];
        if (lease) {
          if (gateRefused) lease.left += check.weight;
          return fromLease(lease, nowMs);
        }
        const result = answered[next++]!;
        const end = ends.get(check);
        if (end !== undefined && result.allowed && !gateRefused) keep(check, result, nowMs, end);
        return {
          ...result,
          // The header's view: what the store has left plus this instance's lease of it.
          remaining: result.remaining + Math.max(0, result.granted - check.weight),
        };
      });
    },
  };
}
