/**
 * Leases on concurrent GraphQL subscriptions, counted per client across every gateway instance: a
 * plan's "at most N concurrent subscriptions" holds whichever instance a connection lands on.
 *
 * A lease lives until its expiry unless renewed: each instance renews the leases of its live
 * subscriptions every ttl/3 and releases them when they end, so an instance that dies without
 * releasing frees its leases at expiry (`defaultSubscriptionLeaseTtlMs`, 60 s, unless the caller
 * passes another ttl).
 */
import type { Logger } from 'pino';
import { isRedisUnavailable } from './redis-breaker.js';
import { type RedisCommand, sendAll } from './redis-client.js';
import type { RedisStoreOptions } from './types.js';

/** A lease's suggested time to live: renewed every 20 s, a dead instance's leases free within a minute. */
export const defaultSubscriptionLeaseTtlMs = 60_000;

export interface SubscriptionLeaseStore {
  /** Takes a lease for `leaseId` under `owner` if fewer than `limit` unexpired leases exist; returns whether taken and how many are held after. Atomic across instances. */
  acquire(
    owner: string,
    leaseId: string,
    limit: number,
    ttlMs: number,
  ): Promise<{ acquired: boolean; held: number }>;
  /** Extends the given leases of their owners (called every ttl/3 by each instance for its live subscriptions, batched: one round trip for many leases). */
  renew(leases: readonly { owner: string; leaseId: string }[], ttlMs: number): Promise<void>;
  /** Gives a lease back (subscription ended). */
  release(owner: string, leaseId: string): Promise<void>;
}

// Semantics both implementations share (test/stores/subscription-leases.test.ts):
// - A lease is expired at its expiry instant; expired leases count for nothing.
// - Acquiring a lease already held succeeds and refreshes its expiry (a retried acquire is no second
//   lease).
// - Renewing re-takes a lease that has expired meanwhile (an instance paused past the ttl, a Redis
//   that lost its data): the subscription is live, so it counts, even if that puts its owner over
//   the limit until some end. New acquires are refused meanwhile.

/** Leases in a Map, with expiry on `now` (one instance; also the Redis store's fallback). */
export function createMemorySubscriptionLeaseStore(now: () => number = Date.now): SubscriptionLeaseStore {
  const owners = new Map<string, Map<string, number>>();
  let nextPurge = 0;

  /** The owner's unexpired leases (expired ones dropped); created when `create`. */
  function leasesOf(owner: string, at: number, create: true): Map<string, number>;
  function leasesOf(owner: string, at: number, create: false): Map<string, number> | undefined;
  function leasesOf(owner: string, at: number, create: boolean): Map<string, number> | undefined {
    if (at >= nextPurge) {
      // Owners whose leases all lapsed (never released) would otherwise stay in the map.
      for (const [key, leases] of owners) {
        for (const [id, expiresAt] of leases) if (expiresAt <= at) leases.delete(id);
        if (leases.size === 0) owners.delete(key);
      }
      nextPurge = at + 10_000;
    }
    let leases = owners.get(owner);
    if (leases) {
      for (const [id, expiresAt] of leases) if (expiresAt <= at) leases.delete(id);
    } else if (create) {
      leases = new Map();
      owners.set(owner, leases);
    }
    return leases;
  }

  return {
    async acquire(owner, leaseId, limit, ttlMs) {
      const at = now();
      const leases = leasesOf(owner, at, true);
      if (leases.has(leaseId) || leases.size < limit) {
        leases.set(leaseId, at + ttlMs);
        return { acquired: true, held: leases.size };
      }
      if (leases.size === 0) owners.delete(owner);
      return { acquired: false, held: leases.size };
    },
    async renew(leases, ttlMs) {
      const at = now();
      for (const { owner, leaseId } of leases) leasesOf(owner, at, true).set(leaseId, at + ttlMs);
    },
    async release(owner, leaseId) {
      const leases = leasesOf(owner, now(), false);
      leases?.delete(leaseId);
      if (leases?.size === 0) owners.delete(owner);
    },
  };
}

// Every script touches one key, the owner's sorted set (member: lease id, score: expiry in epoch ms),
// and reads the time from the Redis server: one clock for every instance, so a skewed host neither
// frees another instance's leases early nor keeps them late. (Redis ≥ 5 replicates a script's
// effects, so TIME before a write is allowed.) The set itself expires a second after its last
// lease, so an owner whose instances all died leaves nothing behind.
const NOW_AND_KEEP = `
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function keep(key, now)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIRE', key, math.max(1, tonumber(last[2]) - now) + 1000) end
end
`;

// KEYS: the owner's set. ARGV: lease id, limit, ttl ms. Returns {acquired (1/0), held}.
const ACQUIRE = `${NOW_AND_KEEP}
local key = KEYS[1]
local now = clock()
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local held = redis.call('ZCARD', key)
local acquired = 0
if redis.call('ZSCORE', key, ARGV[1]) then
  acquired = 1
elseif held < tonumber(ARGV[2]) then
  acquired = 1
  held = held + 1
end
if acquired == 1 then
  redis.call('ZADD', key, now + tonumber(ARGV[3]), ARGV[1])
  keep(key, now)
end
return {acquired, held}`;

// KEYS: the owner's set. ARGV: ttl ms, then the lease ids to renew (re-taken when expired).
const RENEW = `${NOW_AND_KEEP}
local key = KEYS[1]
local now = clock()
local expiry = now + tonumber(ARGV[1])
local entries = {}
for i = 2, #ARGV do
  entries[#entries + 1] = expiry
  entries[#entries + 1] = ARGV[i]
  if #entries >= 400 or i == #ARGV then
    redis.call('ZADD', key, unpack(entries))
    entries = {}
  end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
keep(key, now)
return 0`;

export interface RedisSubscriptionLeaseStoreOptions extends RedisStoreOptions {
  /** Where falling back to this instance's count is reported. */
  logger: Logger;
  /** Told each time a Redis failure was served by this instance's count instead (metrics). */
  onFallback?: (() => void) | undefined;
  /** Clock of this instance's own count (the fallback); Redis leases use the Redis server's. @default Date.now */
  now?: (() => number) | undefined;
}

/**
 * `<prefix>sublease:{<owner>}` sorted sets, one per owner (the hash tag keeps any later multi-key
 * operation on one owner in one Cluster slot; owners spread over the slots). Each script touches
 * one key.
 *
 * While Redis fails (the breaker is open, the connection is down), the store does what rate limits
 * do: it counts on this instance, applying the same limit per instance, so an owner may hold up to
 * instances × limit subscriptions during an outage (fail open, bounded; refusing every subscription
 * while Redis is down would turn a Redis outage into a product outage). This instance keeps a copy
 * of its own leases at all times, so that count starts from the subscriptions it already serves,
 * not from zero. Renewals and releases never throw: a renewal Redis missed is made by the next one
 * (it re-takes the lease, so leases taken during the outage are counted in Redis within ttl/3 of it
 * healing), and a release Redis missed frees the lease at its expiry.
 */
export function createRedisSubscriptionLeaseStore({
  redis,
  prefix,
  logger,
  onFallback,
  now = Date.now,
}: RedisSubscriptionLeaseStoreOptions): SubscriptionLeaseStore {
  const local = createMemorySubscriptionLeaseStore(now);
  const keyOf = (owner: string) => `${prefix}sublease:{${owner}}`;

  function fellBack(err: unknown, what: string): void {
    // The breaker's refusal is logged once, when it opens; a line per subscription would flood the log.
    if (isRedisUnavailable(err))
      logger.debug({ what }, 'redis breaker open: counting subscriptions on this instance');
    else logger.warn({ err, what }, 'subscription lease store unreachable: counting on this instance');
    onFallback?.();
  }

  return {
    async acquire(owner, leaseId, limit, ttlMs) {
      const ttl = checkTtl(ttlMs);
      let result: [number, number];
      try {
        result = (await redis.eval(ACQUIRE, 1, keyOf(owner), leaseId, limit, ttl)) as [number, number];
      } catch (err) {
        fellBack(err, 'acquire');
        return local.acquire(owner, leaseId, limit, ttl);
      }
      const [acquired, held] = result;
      if (acquired !== 1) return { acquired: false, held };
      await local.renew([{ owner, leaseId }], ttl);
      return { acquired: true, held };
    },
    async renew(leases, ttlMs) {
      if (leases.length === 0) return;
      const ttl = checkTtl(ttlMs);
      await local.renew(leases, ttl);
      const byOwner = new Map<string, string[]>();
      for (const { owner, leaseId } of leases) {
        const ids = byOwner.get(owner);
        if (ids) ids.push(leaseId);
        else byOwner.set(owner, [leaseId]);
      }
      // One script per owner (one key each), all in one round trip (one per master on a Cluster).
      try {
        await sendAll(
          redis,
          [...byOwner].map(([owner, ids]): RedisCommand => ['eval', RENEW, 1, keyOf(owner), ttl, ...ids]),
        );
      } catch (err) {
        fellBack(err, 'renew');
      }
    },
    async release(owner, leaseId) {
      await local.release(owner, leaseId);
      try {
        await redis.zrem(keyOf(owner), leaseId);
      } catch (err) {
        fellBack(err, 'release');
      }
    },
  };
}

/** A ttl Redis can take (whole, positive milliseconds); a bad one is a caller's bug, said loudly. */
function checkTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs < 1)
    throw new Error(`subscription lease: ttlMs must be ≥ 1, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}
