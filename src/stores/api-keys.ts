/**
 * API key records. Memory: a map (one instance). Redis: a key record is a hash whose fields hold
 * JSON values, so partial updates are single HSETs and need no read-modify-write; scripts make
 * "create only if new" and "update only if it exists" atomic across instances.
 */
import { isUsable, keyState } from '../keys/state.js';
import type { ApiKeyStore } from '../keys/stores.js';
import type { ApiKeyRecord } from '../keys/types.js';
import type { RedisStoreOptions } from './types.js';

const clone = <T>(value: T): T => structuredClone(value);

/** Records in a map, copied in and out so callers never share a stored object. */
export function createMemoryApiKeyStore(): ApiKeyStore {
  const records = new Map<string, ApiKeyRecord>();
  return {
    async get(keyId) {
      const record = records.get(keyId);
      return record ? clone(record) : null;
    },
    async create(record) {
      if (records.has(record.keyId)) return false;
      records.set(record.keyId, clone(record));
      return true;
    },
    async update(keyId, patch) {
      const record = records.get(keyId);
      if (!record) return null;
      Object.assign(record, clone(patch));
      return clone(record);
    },
    async listUsable(now) {
      return [...records.values()].filter((r) => isUsable(keyState(r, now))).map(clone);
    },
    async listByClient(clientId) {
      return [...records.values()]
        .filter((r) => r.clientId === clientId)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .map(clone);
    },
    async recordUsage(usage) {
      for (const { keyId, lastUsedAt, lastUsedIp, graceUses } of usage) {
        const record = records.get(keyId);
        if (!record) continue;
        record.lastUsedAt = lastUsedAt;
        record.lastUsedIp = lastUsedIp;
        record.graceUseCount += graceUses;
      }
    },
  };
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

/** `<prefix>key:<keyId>` hashes, and a `<prefix>client:<clientId>:keys` set per client. */
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
    async listUsable(now) {
      const found: ApiKeyRecord[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}key:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length === 0) continue;
        const pipeline = redis.pipeline();
        for (const key of keys) pipeline.hgetall(key);
        for (const [err, fields] of (await pipeline.exec()) ?? []) {
          const record = err ? null : fromFields(fields as Record<string, string>);
          if (record && isUsable(keyState(record, now))) found.push(record);
        }
      } while (cursor !== '0');
      return found;
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
