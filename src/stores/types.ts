/** What every Redis store is built from. */
import type { Redis } from 'ioredis';

// The interfaces live with their concept: key stores in src/keys/stores.ts, the nonce store in
// src/signing/nonce-store.ts; src/stores holds their implementations.

export interface RedisStoreOptions {
  redis: Redis;
  /**
   * Namespace of every key the store writes, e.g. `switchyard:prod:`. Required: two deployments
   * sharing a Redis under one prefix would share API keys, nonces, counters and cached responses.
   */
  prefix: string;
}
