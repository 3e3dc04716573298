/**
 * Atomic rate-limit counters: a sliding log per (client, field) — exactly `max` calls pass in any
 * `window`, however many arrive at once, on however many instances, and however many of them one
 * operation carries (a weight of n logs n calls) — and a sliding-window cost budget per client.
 * Redis does each check-and-count in one Lua script; memory does the same per instance.
 */
import { randomBytes } from 'node:crypto';
import { redisScript } from './redis-client.js';
import type { RedisStoreOptions } from './types.js';

/** One limit to check and, when allowed, count. */
export interface LimitCheck {
  /**
   * Whose budget this is (an API-key client, a JWT subject, an IP). The checks of one call all have
   * the same owner: Redis keeps an owner's counters in one Cluster slot, which one script needs.
   */
  owner: string;
  /** The limit, within its owner's (a field coordinate, `cost`). */
  key: string;
  max: number;
  windowMs: number;
  /** Units this call consumes (the field's occurrences in the operation, or the operation's cost). */
  weight: number;
  /**
   * `log`: an exact sliding log, one entry per unit (field limits: small maxima, exactness promised).
   * `window`: two fixed buckets weighted by overlap, a sliding-window estimate that stays O(1) for
   * large weights (cost budgets).
   */
  kind: 'log' | 'window';
  /** When this check is refused, nothing in the same call is counted (the operation will not run). */
  gate?: boolean;
  /**
   * Units to take when they are free, at least `weight` (a lease: src/stores/rate-limit-leases.ts).
   * Allowed when `weight` fits; then min(want, what is free) is counted and `granted` says how many.
   * @default weight
   */
  want?: number;
  /**
   * Time the log records the units at, never before `nowMs` (a lease's units are stamped at the
   * lease's end, so none of them leaves the window before it could have been spent). @default nowMs
   */
  stampMs?: number;
}

export interface LimitResult {
  allowed: boolean;
  /** Units left in the window after this call (0 when refused). */
  remaining: number;
  /** Milliseconds until a refused call could pass, or until the window frees a unit. */
  resetMs: number;
  /** Units counted for this check: `weight`, up to `want` when more were asked for; 0 when refused. */
  granted: number;
}

export interface RateLimitStore {
  /**
   * Checks and counts every limit in one round trip. A refused limit is not counted; when a `gate`
   * check is refused, no limit is counted.
   */
  consume(checks: readonly LimitCheck[], nowMs: number): Promise<LimitResult[]>;
}

// KEYS: one per check. ARGV: now, then per check max, windowMs, weight, member, kind (1 log, 0
// window), gate (1/0), want (units to count when free, >= weight), stamp (the log's time for
// them). First every check is decided, then (unless a refused gate says otherwise) the allowed ones
// are counted: all inside one script, so no other call interleaves.
const CONSUME = `
local now = tonumber(ARGV[1])
local results = {}
local plans = {}
local counted = true
for i, key in ipairs(KEYS) do
  local base = 1 + (i - 1) * 8
  local max = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local weight = tonumber(ARGV[base + 3])
  local member = ARGV[base + 4]
  local log = ARGV[base + 5] == '1'
  local gate = ARGV[base + 6] == '1'
  local want = tonumber(ARGV[base + 7])
  local stamp = tonumber(ARGV[base + 8])
  if log then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local count = redis.call('ZCARD', key)
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local first = now
    if oldest[2] then first = tonumber(oldest[2]) end
    if count + weight <= max then
      local grant = math.min(want, max - count)
      results[i] = {1, max - count - grant, first + window - now, grant}
      plans[i] = {'log', key, window + stamp - now, grant, member, stamp}
    else
      results[i] = {0, 0, first + window - now, 0}
      if gate then counted = false end
    end
  else
    local bucket = math.floor(now / window)
    local current_key = key .. ':' .. bucket
    local previous = tonumber(redis.call('GET', key .. ':' .. (bucket - 1)) or '0')
    local current = tonumber(redis.call('GET', current_key) or '0')
    local elapsed = (now % window) / window
    local used = math.floor(previous * (1 - elapsed) + current)
    if used + weight <= max then
      local grant = math.min(want, max - used)
      results[i] = {1, max - used - grant, window - (now % window), grant}
      plans[i] = {'window', current_key, window, grant}
    else
      results[i] = {0, 0, window - (now % window), 0}
      if gate then counted = false end
    end
  end
end
if not counted then
  for i, result in pairs(results) do result[4] = 0 end
else
  for i, plan in pairs(plans) do
    if plan[1] == 'log' then
      local entries = {}
      for n = 1, plan[4] do
        entries[#entries + 1] = plan[6]
        entries[#entries + 1] = plan[5] .. ':' .. n
        if #entries >= 400 or n == plan[4] then
          redis.call('ZADD', plan[2], unpack(entries))
          entries = {}
        end
      end
      redis.call('PEXPIRE', plan[2], plan[3])
    else
      redis.call('INCRBY', plan[2], plan[4])
      redis.call('PEXPIRE', plan[2], plan[3] * 2)
    end
  end
end
return results`;

const consumeScript = redisScript(CONSUME);

/**
 * `<prefix>rl:{<owner>}:<key>` sorted sets (logs) and `<prefix>rl:{<owner>}:<key>:<bucket>` counters
 * (windows). The hash tag is the budget's owner: one script checks and counts every limit of an
 * operation (its fields and its cost, plus the buckets the script names itself), which on a Redis
 * Cluster must be keys of one slot; one tag per owner keeps each client's counters together while
 * the clients spread over every master. (Renamed from the single-node `<prefix>rl:<owner>:<key>`:
 * on upgrade every window starts afresh once, which the failure policy allows for counters.)
 */
export function createRedisRateLimitStore({ redis, prefix }: RedisStoreOptions): RateLimitStore {
  // Log members must be unique across every instance (pids repeat across hosts and in tests).
  const instance = randomBytes(8).toString('base64url');
  let sequence = 0;
  return {
    async consume(checks, nowMs) {
      if (checks.length === 0) return [];
      const owner = checks[0]!.owner;
      if (checks.some((check) => check.owner !== owner))
        throw new Error(
          'rate limits: the checks of one call must share their owner (one Redis Cluster slot)',
        );
      const argv: (string | number)[] = [nowMs];
      for (const check of checks)
        argv.push(
          check.max,
          check.windowMs,
          check.weight,
          `${nowMs}:${instance}:${sequence++}`,
          check.kind === 'log' ? 1 : 0,
          check.gate ? 1 : 0,
          Math.max(check.weight, check.want ?? check.weight),
          Math.max(nowMs, check.stampMs ?? nowMs),
        );
      const raw = (await consumeScript.run(
        redis,
        checks.map((c) => `${prefix}rl:{${owner}}:${c.key}`),
        argv,
      )) as [number, number, number, number][];
      return raw.map(([allowed, remaining, resetMs, granted]) => ({
        allowed: allowed === 1,
        remaining,
        resetMs: Math.max(0, resetMs),
        granted,
      }));
    },
  };
}

/**
 * The same algorithms in memory, for one instance (and as the fallback while Redis is down). It
 * counts `weight` and ignores `want`: there is nothing to lease within one process.
 */
export function createMemoryRateLimitStore(): RateLimitStore {
  const logs = new Map<string, number[]>();
  const buckets = new Map<string, number>();
  let nextPurge = 0;
  return {
    async consume(checks, now) {
      if (now >= nextPurge) {
        for (const [key, log] of logs)
          if (log.length === 0 || log.at(-1)! < now - 3_600_000) logs.delete(key);
        nextPurge = now + 60_000;
      }
      const counts: (() => void)[] = [];
      let counted = true;
      const results = checks.map(({ owner, key: limit, max, windowMs, weight, kind, gate }): LimitResult => {
        const key = `${owner}:${limit}`;
        if (kind === 'log') {
          let log = logs.get(key);
          if (!log) {
            log = [];
            logs.set(key, log);
          }
          // Timestamps are appended in order: drop expired ones from the front (amortised O(1)).
          while (log.length > 0 && log[0]! <= now - windowMs) log.shift();
          const resetMs = (log[0] ?? now) + windowMs - now;
          if (log.length + weight <= max) {
            const entries = log;
            counts.push(() => {
              for (let n = 0; n < weight; n++) entries.push(now);
            });
            return { allowed: true, remaining: max - log.length - weight, resetMs, granted: weight };
          }
          if (gate) counted = false;
          return { allowed: false, remaining: 0, resetMs, granted: 0 };
        }
        const bucket = Math.floor(now / windowMs);
        const previous = buckets.get(`${key}:${bucket - 1}`) ?? 0;
        const current = buckets.get(`${key}:${bucket}`) ?? 0;
        const used = Math.floor(previous * (1 - (now % windowMs) / windowMs) + current);
        const resetMs = windowMs - (now % windowMs);
        if (used + weight <= max) {
          counts.push(() => {
            buckets.set(`${key}:${bucket}`, (buckets.get(`${key}:${bucket}`) ?? 0) + weight);
            buckets.delete(`${key}:${bucket - 2}`);
          });
          return { allowed: true, remaining: max - used - weight, resetMs, granted: weight };
        }
        if (gate) counted = false;
        return { allowed: false, remaining: 0, resetMs, granted: 0 };
      });
      if (counted) for (const count of counts) count();
      else for (const result of results) result.granted = 0;
      return results;
    },
  };
}
