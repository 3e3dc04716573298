/** What every Redis store is built from. */
import type { RedisClient } from './redis-client.js';

// The interfaces live with their concept: key stores in src/keys/stores.ts, the nonce store in
// src/signing/nonce-store.ts; src/stores holds their implementations.

export interface RedisStoreOptions {
  /** One Redis or a Redis Cluster: every store's keys are named so that each script stays in one slot. */
  redis: RedisClient;
  /**
   * Namespace of every key the store writes, e.g. `switchyard:prod:`. Required: two deployments
   * sharing a Redis under one prefix would share API keys, nonces, counters and cached responses.
   */
  prefix: string;
}
