/**
 * Atomic rate-limit counters: a sliding log per (client, field) — exactly `max` calls pass in any
 * `window`, however many arrive at once and on however many instances — and a sliding-window
 * cost budget per client. Redis does each check-and-count in one Lua script; memory does the same
 * per instance.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** One limit to check and, when allowed, count. */
export interface LimitCheck {
  key: string;
  max: number;
  windowMs: number;
  /** Units this call consumes (1 for a call, the operation's cost for a cost budget). */
  weight: number;
}

export interface LimitResult {
  allowed: boolean;
  /** Units left in the window after this call (0 when refused). */
  remaining: number;
  /** Milliseconds until a refused call could pass, or until the window frees a unit. */
  resetMs: number;
}

export interface RateLimitStore {
  /** Checks and counts every limit in one round trip; a refused limit is not counted. */
  consume(checks: readonly LimitCheck[], nowMs: number): Promise<LimitResult[]>;
}

// KEYS: one per check. ARGV: now, then per check max, windowMs, weight, member.
// Weight 1 uses a sorted-set log (exact); larger weights use two fixed buckets weighted by overlap
// (sliding-window estimate), which keeps cost budgets O(1).
const CONSUME = `
local now = tonumber(ARGV[1])
local results = {}
for i, key in ipairs(KEYS) do
  local base = 1 + (i - 1) * 4
  local max = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local weight = tonumber(ARGV[base + 3])
  local member = ARGV[base + 4]
  if weight == 1 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local count = redis.call('ZCARD', key)
    if count < max then
      redis.call('ZADD', key, now, member)
      redis.call('PEXPIRE', key, window)
      local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      results[i] = {1, max - count - 1, tonumber(oldest[2]) + window - now}
    else
      local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      results[i] = {0, 0, tonumber(oldest[2]) + window - now}
    end
  else
    local bucket = math.floor(now / window)
    local current_key = key .. ':' .. bucket
    local previous = tonumber(redis.call('GET', key .. ':' .. (bucket - 1)) or '0')
    local current = tonumber(redis.call('GET', current_key) or '0')
    local elapsed = (now % window) / window
    local used = math.floor(previous * (1 - elapsed) + current)
    if used + weight <= max then
      redis.call('INCRBY', current_key, weight)
      redis.call('PEXPIRE', current_key, window * 2)
      results[i] = {1, max - used - weight, window - (now % window)}
    else
      results[i] = {0, 0, window - (now % window)}
    end
  end
end
return results`;

export function createRedisRateLimitStore({
  redis,
  prefix,
}: {
  redis: Redis;
  prefix: string;
}): RateLimitStore {
  // Log members must be unique across every instance (pids repeat across hosts and in tests).
  const instance = randomBytes(8).toString('base64url');
  let sequence = 0;
  return {
    async consume(checks, nowMs) {
      if (checks.length === 0) return [];
      const argv: (string | number)[] = [nowMs];
      for (const check of checks)
        argv.push(check.max, check.windowMs, check.weight, `${nowMs}:${instance}:${sequence++}`);
      const raw = (await redis.eval(
        CONSUME,
        checks.length,
        ...checks.map((c) => `${prefix}rl:${c.key}`),
        ...argv,
      )) as [number, number, number][];
      return raw.map(([allowed, remaining, resetMs]) => ({
        allowed: allowed === 1,
        remaining,
        resetMs: Math.max(0, resetMs),
      }));
    },
  };
}

/** The same algorithms in memory, for one instance (and as the fallback while Redis is down). */
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
      return checks.map(({ key, max, windowMs, weight }) => {
        if (weight === 1) {
          let log = logs.get(key);
          if (!log) {
            log = [];
            logs.set(key, log);
          }
          // Timestamps are appended in order: drop expired ones from the front (amortised O(1)).
          while (log.length > 0 && log[0]! <= now - windowMs) log.shift();
          if (log.length < max) {
            log.push(now);
            return { allowed: true, remaining: max - log.length, resetMs: log[0]! + windowMs - now };
          }
          return { allowed: false, remaining: 0, resetMs: log[0]! + windowMs - now };
        }
        const bucket = Math.floor(now / windowMs);
        const previous = buckets.get(`${key}:${bucket - 1}`) ?? 0;
        const current = buckets.get(`${key}:${bucket}`) ?? 0;
        const used = Math.floor(previous * (1 - (now % windowMs) / windowMs) + current);
        if (used + weight <= max) {
          buckets.set(`${key}:${bucket}`, current + weight);
          buckets.delete(`${key}:${bucket - 2}`);
          return { allowed: true, remaining: max - used - weight, resetMs: windowMs - (now % windowMs) };
        }
        return { allowed: false, remaining: 0, resetMs: windowMs - (now % windowMs) };
      });
    },
  };
}
