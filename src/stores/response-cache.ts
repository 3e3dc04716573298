/**
 * Response-cache stores for @envelop/response-cache, with two additions the stock ones lack:
 * every key under a prefix (no bare typename keys, no KEYS scans), and an index per session so a
 * principal's cached responses can be dropped at once after it trades. A response id starts with
 * `<session or "public">|` (see buildResponseCacheKey in use-response-cache.ts); the rest is opaque.
 * The Redis store fails soft: an unreachable Redis is a miss, never an error.
 */

import type { Cache, CacheEntityRecord } from '@envelop/response-cache';
import type { ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import { createInFlight } from '../upstream/in-flight.js';
import { isRedisUnavailable } from './redis-breaker.js';
import { type RedisCommand, sendAll } from './redis-client.js';
import type { RedisStoreOptions } from './types.js';

export interface ResponseCacheStore extends Cache {
  /** Drops every cached response of one session (a principal). */
  invalidateSession(sessionId: string): Promise<void>;
}

const sessionOf = (responseId: string) => responseId.slice(0, responseId.indexOf('|'));
/** Index keys a response is stored under: each type it holds, and each entity by id. */
const indexKeys = (entities: Iterable<CacheEntityRecord>) =>
  [...entities].flatMap(({ typename, id }) => (id == null ? [typename] : [typename, `${typename}:${id}`]));
/**
 * Index keys an invalidation drops, as @envelop/response-cache's own stores do: an entity with an
 * id drops the responses holding that entity, one without drops every response of its type.
 */
const invalidationKeys = (entities: Iterable<CacheEntityRecord>) =>
  [...entities].map(({ typename, id }) => (id == null ? typename : `${typename}:${id}`));

/** An in-process LRU-ish store (oldest entry evicted past `maxEntries`). */
export function createMemoryResponseCache({ maxEntries = 10_000, now = Date.now } = {}): ResponseCacheStore {
  const responses = new Map<string, { result: ExecutionResult; expiresAt: number; keys: string[] }>();
  const index = new Map<string, Set<string>>();
  const drop = (responseId: string) => {
    const entry = responses.get(responseId);
    if (!entry) return;
    responses.delete(responseId);
    for (const key of entry.keys) index.get(key)?.delete(responseId);
  };
  const dropIndexed = (key: string) => {
    for (const responseId of index.get(key) ?? []) drop(responseId);
    index.delete(key);
  };
  return {
    set(responseId, result, entities, ttl) {
      drop(responseId);
      const keys = [...indexKeys(entities), `session:${sessionOf(responseId)}`];
      responses.set(responseId, { result, expiresAt: now() + ttl, keys });
      for (const key of keys) {
        const ids = index.get(key) ?? new Set<string>();
        index.set(key, ids);
        ids.add(responseId);
      }
      if (responses.size > maxEntries) drop(responses.keys().next().value as string);
    },
    get(responseId) {
      const entry = responses.get(responseId);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        drop(responseId);
        return undefined;
      }
      return entry.result;
    },
    invalidate(entities) {
      for (const key of invalidationKeys(entities)) dropIndexed(key);
    },
    async invalidateSession(sessionId) {
      dropIndexed(`session:${sessionId}`);
    },
  };
}

export interface RedisResponseCacheOptions extends RedisStoreOptions {
  /** Where a bypass (Redis unreachable) is reported, as a warning. */
  logger: Logger;
  /** Told when Redis failed and the cache was bypassed (metrics). */
  onError?: () => void;
}

/**
 * `<prefix>rc:r:<id>` responses with their TTL, and `<prefix>rc:i:<entity or session>` index sets.
 * No hash tag and no script: every command touches one key (a response is written, then added to
 * each of its index sets, which no atomicity binds), so on a Redis Cluster responses and indexes
 * spread over the slots by name, the batches go to each key's master at once, and no tag is needed.
 * A tag per session would not serve: one response sits in its session's index and in the shared
 * indexes of the entities it holds, and public answers would all share one tag.
 */
export function createRedisResponseCache({
  redis,
  prefix,
  logger,
  onError,
}: RedisResponseCacheOptions): ResponseCacheStore {
  const responseKey = (id: string) => `${prefix}rc:r:${id}`;
  const indexKey = (key: string) => `${prefix}rc:i:${key}`;
  // Concurrent reads of one response share one GET (each parses its own copy of the text).
  const reads = createInFlight(() => new Error('response cache read abandoned'));
  const soft = async <T>(what: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      onError?.();
      // The breaker refuses at once while Redis is down, and the outage is logged once where it is
      // seen (src/stores/redis-health.ts): a line per request here would flood the log.
      if (isRedisUnavailable(err)) logger.debug({ what }, 'response cache bypassed: Redis breaker open');
      else logger.warn({ err, what }, 'response cache bypassed: Redis unreachable');
      return fallback;
    }
  };
  async function dropIndexed(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const members = await sendAll(
      redis,
      keys.map((key): RedisCommand => ['smembers', indexKey(key)]),
    );
    const ids = new Set(members.flatMap((value) => (value as string[] | null) ?? []));
    await sendAll(redis, [
      ...[...ids].map((id): RedisCommand => ['del', responseKey(id)]),
      ...keys.map((key): RedisCommand => ['del', indexKey(key)]),
    ]);
  }
  return {
    set(responseId, result, entities, ttl) {
      return soft(
        'set',
        async () => {
          const commands: RedisCommand[] = [
            ['set', responseKey(responseId), JSON.stringify(result), 'PX', Math.max(1, Math.round(ttl))],
          ];
          for (const key of [...indexKeys(entities), `session:${sessionOf(responseId)}`]) {
            commands.push(['sadd', indexKey(key), responseId]);
            // Index sets outlive their responses by a margin; stale members only cost a DEL of nothing.
            commands.push(['pexpire', indexKey(key), Math.max(60_000, Math.round(ttl) * 2)]);
          }
          await sendAll(redis, commands);
        },
        undefined,
      );
    },
    get(responseId) {
      return soft(
        'get',
        async () => {
          const raw = await reads.run(responseId, () => redis.get(responseKey(responseId)), undefined);
          return raw ? (JSON.parse(raw) as ExecutionResult) : undefined;
        },
        undefined,
      );
    },
    invalidate(entities) {
      return soft('invalidate', () => dropIndexed(invalidationKeys(entities)), undefined);
    },
    invalidateSession(sessionId) {
      return soft('invalidate session', () => dropIndexed([`session:${sessionId}`]), undefined);
    },
  };
}
