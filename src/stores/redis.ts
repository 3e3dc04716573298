/**
 * Redis stores (ioredis): every instance sharing one Redis sees the same keys and audit stream.
 * A key record is a hash whose fields hold JSON values, so partial updates are single HSETs and
 * need no read-modify-write; scripts make "update only if it exists" atomic.
 */
import type { Redis } from 'ioredis';
import type { ApiKeyRecord, AuditEvent } from '../keys/types.js';
import type { ApiKeyStore, AuditLog, InvalidationBus, NonceStore } from './types.js';

export interface RedisStoreOptions {
  redis: Redis;
  /**
   * Namespace of every key this store writes, e.g. `switchyard:prod:`. Required: two deployments
   * sharing a Redis under one prefix would share API keys.
   */
  prefix: string;
}

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SADD', KEYS[2], ARGV[1])
return 1`;

const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])`;

// KEYS: record keys; ARGV: triples of lastUsedAt, lastUsedIp, graceUses (JSON values).
const USAGE = `
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'lastUsedAt', ARGV[i * 3 - 2], 'lastUsedIp', ARGV[i * 3 - 1])
    redis.call('HINCRBY', key, 'graceUseCount', ARGV[i * 3])
  end
end
return 0`;

function toFields(record: Partial<ApiKeyRecord>): string[] {
  return Object.entries(record).flatMap(([field, value]) =>
    value === undefined ? [] : [field, JSON.stringify(value)],
  );
}

function fromFields(flat: string[] | Record<string, string>): ApiKeyRecord | null {
  const entries = Array.isArray(flat)
    ? Array.from({ length: flat.length / 2 }, (_, i) => [flat[i * 2]!, flat[i * 2 + 1]!] as const)
    : Object.entries(flat);
  if (entries.length === 0) return null;
  return Object.fromEntries(entries.map(([field, value]) => [field, JSON.parse(value)])) as ApiKeyRecord;
}

export function createRedisApiKeyStore({ redis, prefix }: RedisStoreOptions): ApiKeyStore {
  const recordKey = (keyId: string) => `${prefix}key:${keyId}`;
  const clientKey = (clientId: string) => `${prefix}client:${clientId}:keys`;
  return {
    async get(keyId) {
      return fromFields(await redis.hgetall(recordKey(keyId)));
    },
    async create(record) {
      const created = await redis.eval(
        CREATE,
        2,
        recordKey(record.keyId),
        clientKey(record.clientId),
        record.keyId,
        ...toFields(record),
      );
      return created === 1;
    },
    async update(keyId, patch) {
      const result = (await redis.eval(UPDATE, 1, recordKey(keyId), ...toFields(patch))) as string[] | null;
      return result ? fromFields(result) : null;
    },
    async listByClient(clientId) {
      const ids = await redis.smembers(clientKey(clientId));
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(recordKey(id));
      const results = (await pipeline.exec()) ?? [];
      return results
        .map(([err, fields]) => (err ? null : fromFields(fields as Record<string, string>)))
        .filter((record): record is ApiKeyRecord => record !== null)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async recordUsage(usage) {
      if (usage.length === 0) return;
      await redis.eval(
        USAGE,
        usage.length,
        ...usage.map((u) => recordKey(u.keyId)),
        ...usage.flatMap((u) => [
          JSON.stringify(u.lastUsedAt),
          JSON.stringify(u.lastUsedIp),
          String(u.graceUses),
        ]),
      );
    },
  };
}

/** An append-only Redis Stream, trimmed to about `maxLength` entries. */
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

/** Redis pub/sub on `<prefix>key-invalidations`, on a connection of its own (subscribers cannot send commands). */
export function createRedisInvalidationBus({ redis, prefix }: RedisStoreOptions): InvalidationBus {
  const channel = `${prefix}key-invalidations`;
  const subscriber = redis.duplicate({ enableOfflineQueue: true });
  const handlers: ((keyId: string) => void)[] = [];
  subscriber.on('message', (from: string, keyId: string) => {
    if (from === channel) for (const handler of handlers) handler(keyId);
  });
  subscriber.on('error', () => {}); // the main connection reports Redis errors; this one retries quietly
  void subscriber.subscribe(channel).catch(() => {});
  return {
    async publish(keyId) {
      await redis.publish(channel, keyId);
    },
    subscribe(onKey) {
      handlers.push(onKey);
    },
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

/** SET NX with expiry: atomic across every instance sharing the Redis. */
export function createRedisNonceStore({ redis, prefix }: RedisStoreOptions): NonceStore {
  return {
    async claim(keyId, nonce, ttlSeconds) {
      return (await redis.set(`${prefix}nonce:${keyId}:${nonce}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    },
  };
}
