/**
 * API key records. Memory: a map (one instance). Redis: a key record is a hash whose fields hold
 * JSON values, so partial updates are single HSETs and need no read-modify-write; scripts make
 * "create only if new" and "update only if it exists" atomic across instances. Every script
 * touches one record, so the layout works unchanged on a Redis Cluster (see createRedisApiKeyStore).
 */
import { isUsable, keyState } from '../keys/state.js';
import type { ApiKeyStore } from '../keys/stores.js';
import type { ApiKeyRecord } from '../keys/types.js';
import { type RedisCommand, scanKeys, sendAll, sendEach } from './redis-client.js';
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
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])`;

// KEYS: one record; ARGV: lastUsedAt, lastUsedIp, graceUses (JSON values).
const USAGE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1], 'lastUsedIp', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'graceUseCount', ARGV[3])
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

/**
 * `<prefix>key:<keyId>` hashes, and a `<prefix>client:<clientId>:keys` set per client.
 *
 * No hash tag: each script touches one record and each command one key, so any key may live in any
 * Cluster slot and records spread over every master by key id. The names are those of the
 * single-node layout, kept: without DATABASE_URL these records are the only copy of the keys, and a
 * rename would lose them on upgrade. The client's index is written before the record (two slots,
 * no script can span them): an index entry whose record was never written (a crash between the
 * two) is skipped by listByClient, while a record missing from its index could never be listed.
 */
export function createRedisApiKeyStore({ redis, prefix }: RedisStoreOptions): ApiKeyStore {
  const recordKey = (keyId: string) => `${prefix}key:${keyId}`;
  const clientKey = (clientId: string) => `${prefix}client:${clientId}:keys`;
  return {
    async get(keyId) {
      return fromFields(await redis.hgetall(recordKey(keyId)));
    },
    async create(record) {
      await redis.sadd(clientKey(record.clientId), record.keyId);
      const created = await redis.eval(CREATE, 1, recordKey(record.keyId), ...toFields(record));
      return created === 1;
    },
    async update(keyId, patch) {
      const result = (await redis.eval(UPDATE, 1, recordKey(keyId), ...toFields(patch))) as string[] | null;
      return result ? fromFields(result) : null;
    },
    async listUsable(now) {
      const found: ApiKeyRecord[] = [];
      // On a Cluster every master is scanned: each holds the records of its slots.
      await scanKeys(redis, `${prefix}key:*`, async (keys) => {
        const replies = await sendEach(
          redis,
          keys.map((key): RedisCommand => ['hgetall', key]),
        );
        for (const [err, fields] of replies) {
          const record = err ? null : fromFields(fields as Record<string, string>);
          if (record && isUsable(keyState(record, now))) found.push(record);
        }
      });
      return found;
    },
    async listByClient(clientId) {
      const ids = await redis.smembers(clientKey(clientId));
      const results = await sendEach(
        redis,
        ids.map((id): RedisCommand => ['hgetall', recordKey(id)]),
      );
      return (
        results
          .map(([err, fields]) => (err ? null : fromFields(fields as Record<string, string>)))
          // The index is written before the record is known to be new: an id that was another
          // client's (a collision create refused) never lists that client's key here.
          .filter((record): record is ApiKeyRecord => record !== null && record.clientId === clientId)
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      );
    },
    async recordUsage(usage) {
      // One script per record (each in its own slot on a Cluster), all in one round trip per node.
      await sendAll(
        redis,
        usage.map(
          (u): RedisCommand => [
            'eval',
            USAGE,
            1,
            recordKey(u.keyId),
            JSON.stringify(u.lastUsedAt),
            JSON.stringify(u.lastUsedIp),
            String(u.graceUses),
          ],
        ),
      );
    },
  };
}
