/**
 * Every store the gateway uses, chosen in one place: the Redis implementations when the process has
 * a Redis (instances behave as one), the memory ones otherwise (one instance: demo, tests, a laptop).
 * The interfaces live with their concepts (src/keys/stores.ts, src/signing/nonce-store.ts, and the
 * store files here for rate limits, the response cache and persisted operations).
 */
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { ApiKeyStore, AuditLog, InvalidationBus } from '../keys/stores.js';
import type { NonceStore } from '../signing/nonce-store.js';
import { createMemoryApiKeyStore, createRedisApiKeyStore } from './api-keys.js';
import { createMemoryAuditLog, createRedisAuditLog } from './audit-log.js';
import { createMemoryInvalidationBus, createRedisInvalidationBus } from './invalidation-bus.js';
import { createMemoryNonceStore, createRedisNonceStore } from './nonces.js';
import {
  createMemoryPersistedOperationStore,
  createRedisPersistedOperationStore,
  type PersistedOperationStore,
} from './persisted-operations.js';
import { createPostgresApiKeyStore } from './postgres-api-keys.js';
import { createPostgresAuditLog } from './postgres-audit-log.js';
import { createMemoryRateLimitStore, createRedisRateLimitStore, type RateLimitStore } from './rate-limit.js';
import { withRateLimitLeases } from './rate-limit-leases.js';
import type { RedisClient } from './redis-client.js';
import {
  createMemoryResponseCache,
  createRedisResponseCache,
  type ResponseCacheStore,
} from './response-cache.js';
import {
  createMemorySubscriptionLeaseStore,
  createRedisSubscriptionLeaseStore,
  type SubscriptionLeaseStore,
} from './subscription-leases.js';

export { createMemoryApiKeyStore, createRedisApiKeyStore } from './api-keys.js';
export { createMemoryAuditLog, createRedisAuditLog } from './audit-log.js';
export {
  createMemoryInvalidationBus,
  createRedisInvalidationBus,
  type MemoryInvalidationHub,
} from './invalidation-bus.js';
export { createMemoryNonceStore, createRedisNonceStore } from './nonces.js';
export {
  createMemoryPersistedOperationStore,
  createRedisPersistedOperationStore,
  type PersistedOperationStore,
} from './persisted-operations.js';
export { createPostgresApiKeyStore } from './postgres-api-keys.js';
export { createPostgresAuditLog, verifyAuditChain } from './postgres-audit-log.js';
export {
  createMemoryRateLimitStore,
  createRedisRateLimitStore,
  type LimitCheck,
  type LimitResult,
  type RateLimitStore,
} from './rate-limit.js';
export type { RedisClient } from './redis-client.js';
export {
  createMemoryResponseCache,
  createRedisResponseCache,
  type ResponseCacheStore,
} from './response-cache.js';
export {
  createMemorySubscriptionLeaseStore,
  createRedisSubscriptionLeaseStore,
  type SubscriptionLeaseStore,
} from './subscription-leases.js';
export type { RedisStoreOptions } from './types.js';

export interface StoresOptions {
  /** The process's Redis; undefined: memory stores, which hold for this instance only. */
  redis: RedisClient | undefined;
  /**
   * PostgreSQL (DATABASE_URL, migrated): when given, API keys and the audit trail live there, the
   * system of record; Redis (or memory) keeps only what may be lost or rebuilt.
   */
  database?: Pool | undefined;
  /**
   * Namespace of every Redis key (REDIS_KEY_PREFIX). Required: two deployments sharing a Redis
   * under one prefix would share API keys, nonces, counters and cached responses.
   */
  prefix: string;
  /** Where the stores report what they survive (a response-cache bypass). */
  logger: Logger;
  /** Told each time the response cache was bypassed because Redis failed (metrics). */
  onResponseCacheError?: (() => void) | undefined;
  /** Told each time subscription leases were counted on this instance because Redis failed (metrics). */
  onLeaseFallback?: (() => void) | undefined;
}

/** Every store of one gateway process: keys and audit in PostgreSQL when given, the rest all Redis or all memory. */
export interface Stores {
  /**
   * Where API keys live. `postgres`: durable, shared by every instance on the database; `redis`:
   * shared by every instance on the same Redis and prefix; `memory`: this process only.
   */
  readonly kind: 'postgres' | 'redis' | 'memory';
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditLog;
  readonly invalidations: InvalidationBus;
  readonly nonces: NonceStore;
  readonly rateLimits: RateLimitStore;
  readonly responseCache: ResponseCacheStore;
  readonly persistedOperations: PersistedOperationStore;
  /** Concurrent-subscription leases per client. */
  readonly subscriptionLeases: SubscriptionLeaseStore;
  /** Releases what the stores hold of their own (the invalidation bus's subscriber connection), not `redis`. */
  close(): Promise<void>;
}

/** Builds every store on `redis` under `prefix`, or in memory when there is no Redis; keys and audit on `database` when given. */
export function createStores({
  redis,
  database,
  prefix,
  logger,
  onResponseCacheError,
  onLeaseFallback,
}: StoresOptions): Stores {
  const stores = redis
    ? {
        kind: 'redis' as const,
        apiKeys: createRedisApiKeyStore({ redis, prefix }),
        audit: createRedisAuditLog({ redis, prefix }),
        invalidations: createRedisInvalidationBus({ redis, prefix }),
        nonces: createRedisNonceStore({ redis, prefix }),
        // Large limits are leased a few dozen units at a time: no round trip on most calls.
        rateLimits: withRateLimitLeases(createRedisRateLimitStore({ redis, prefix })),
        responseCache: createRedisResponseCache({ redis, prefix, logger, onError: onResponseCacheError }),
        persistedOperations: createRedisPersistedOperationStore({ redis, prefix }),
        subscriptionLeases: createRedisSubscriptionLeaseStore({
          redis,
          prefix,
          logger,
          onFallback: onLeaseFallback,
        }),
      }
    : {
        kind: 'memory' as const,
        apiKeys: createMemoryApiKeyStore(),
        audit: createMemoryAuditLog(),
        invalidations: createMemoryInvalidationBus(),
        nonces: createMemoryNonceStore(),
        rateLimits: createMemoryRateLimitStore(),
        responseCache: createMemoryResponseCache(),
        persistedOperations: createMemoryPersistedOperationStore(),
        subscriptionLeases: createMemorySubscriptionLeaseStore(),
      };
  const durable = database
    ? {
        kind: 'postgres' as const,
        apiKeys: createPostgresApiKeyStore(database),
        audit: createPostgresAuditLog(database),
      }
    : {};
  return { ...stores, ...durable, close: () => stores.invalidations.close() };
}
