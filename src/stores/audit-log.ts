/** The append-only audit stream: a bounded array in memory, a Redis Stream shared by every instance. */
import type { AuditLog } from '../keys/stores.js';
import type { AuditEvent } from '../keys/types.js';
import type { RedisStoreOptions } from './types.js';

/** Keeps the newest `capacity` events. */
export function createMemoryAuditLog(capacity = 10_000): AuditLog {
  const events: AuditEvent[] = [];
  return {
    async append(event) {
      events.push(structuredClone(event));
      if (events.length > capacity) events.splice(0, events.length - capacity);
    },
    async recent(limit) {
      return events
        .slice(-limit)
        .reverse()
        .map((event) => structuredClone(event));
    },
  };
}

/**
 * `<prefix>audit`, a Redis Stream trimmed to about `maxLength` entries. One key, so one Cluster slot
 * whatever its name: a stream is one ordered log and cannot be split across slots without losing
 * its order. Used only without DATABASE_URL (PostgreSQL keeps the audit trail otherwise).
 */
export function createRedisAuditLog({
  redis,
  prefix,
  maxLength = 100_000,
}: RedisStoreOptions & { maxLength?: number }): AuditLog {
  const stream = `${prefix}audit`;
  return {
    async append(event) {
      await redis.xadd(stream, 'MAXLEN', '~', String(maxLength), '*', 'event', JSON.stringify(event));
    },
    async recent(limit) {
      const entries = await redis.xrevrange(stream, '+', '-', 'COUNT', limit);
      return entries.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as AuditEvent);
    },
  };
}
