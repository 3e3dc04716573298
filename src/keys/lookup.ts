/**
 * Key records as this instance sees them: read from the shared store and trusted for `cacheTtlMs`,
 * which bounds how long a revocation takes to reach an instance that missed its invalidation.
 * While the store is unreachable a record read within `staleTtlMs` (10 minutes by default, see
 * service.ts) keeps serving; a key without one is then refused with SERVICE_UNAVAILABLE, never accepted.
 * After a failed read only one lookup at a time probes the store, at most once per `cacheTtlMs`; the
 * others answer from the cache at once, so a hung store costs one connection timeout per probe, not
 * one per request.
 */
import type { BlockList } from 'node:net';
import type { Logger } from 'pino';
import { parseCidrs } from '../auth/client-ip.js';
import { gatewayError } from '../errors.js';
import type { VerificationKey } from '../signing/verify.js';
import type { ApiKeyStore, InvalidationBus } from './stores.js';
import type { ApiKeyRecord } from './types.js';

/** A record as cached, with what is derived from it once. */
export interface CachedRecord {
  record: ApiKeyRecord;
  fetchedAt: number;
  cidrs: BlockList | null;
  /** Built on first use by a signature, kept as long as the record is cached. */
  verifier?: VerificationKey;
  /** SHA-256 of the key once it matched the record's keyed hash (authentication.ts), as long as cached. */
  keyDigest?: Buffer;
}

export interface KeyLookupOptions {
  store: ApiKeyStore;
  invalidations: InvalidationBus | undefined;
  log: Logger;
  now: () => number;
  cacheTtlMs: number;
  staleTtlMs: number;
}

export interface KeyLookup {
  /** The record of a key id (cached), null when unknown; SERVICE_UNAVAILABLE when it cannot be read. */
  lookup(keyId: string): Promise<CachedRecord | null>;
  /** Forgets keys here and tells every other instance to do the same. */
  invalidate(keyIds: readonly string[]): Promise<void>;
  /**
   * Fills the cache with records read from the store as of now (start-up): while the store is then
   * unreachable, they serve for the stale window like any record read by a request.
   */
  warm(records: readonly ApiKeyRecord[]): void;
}

/** Entries beyond this are dropped oldest first: a flood of distinct key ids cannot grow the cache. */
const MAX_CACHED = 50_000;

/** The per-instance record cache, kept in step with other instances through the invalidation bus. */
export function createKeyLookup({
  store,
  invalidations,
  log,
  now,
  cacheTtlMs,
  staleTtlMs,
}: KeyLookupOptions): KeyLookup {
  const cache = new Map<string, CachedRecord>();
  invalidations?.subscribe((keyId) => cache.delete(keyId));
  /** When the last store read failed (null: healthy), and whether a lookup is probing it now. */
  let failedAt: number | null = null;
  let probing = false;

  /** The cached record while it is within the stale window; else SERVICE_UNAVAILABLE. */
  function fallback(
    keyId: string,
    cached: CachedRecord | undefined,
    at: number,
    err?: unknown,
  ): CachedRecord {
    if (cached && at - cached.fetchedAt < staleTtlMs) {
      if (err) log.warn({ err, keyId }, 'key store unreachable: serving a recently cached record');
      return cached;
    }
    if (err) log.error({ err, keyId }, 'key store unreachable: refusing');
    throw gatewayError(
      'SERVICE_UNAVAILABLE',
      'Keys cannot be verified right now; retry shortly.',
      undefined,
      {
        http: true,
      },
    );
  }

  function remember(record: ApiKeyRecord, at: number): CachedRecord {
    const entry = {
      record,
      fetchedAt: at,
      cidrs: record.allowedCidrs ? parseCidrs(record.allowedCidrs) : null,
    };
    cache.set(record.keyId, entry);
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
    return entry;
  }

  return {
    async lookup(keyId) {
      const cached = cache.get(keyId);
      const at = now();
      if (cached && at - cached.fetchedAt < cacheTtlMs) return cached;
      if (failedAt !== null && (probing || at - failedAt < cacheTtlMs)) return fallback(keyId, cached, at);
      let fresh: ApiKeyRecord | null;
      const probe = failedAt !== null;
      if (probe) probing = true;
      try {
        fresh = await store.get(keyId);
        failedAt = null;
      } catch (err) {
        failedAt = now();
        return fallback(keyId, cached, at, err);
      } finally {
        if (probe) probing = false;
      }
      if (!fresh) {
        cache.delete(keyId);
        return null;
      }
      return remember(fresh, at);
    },
    warm(records) {
      const at = now();
      for (const record of records.slice(0, MAX_CACHED)) remember(record, at);
    },
    async invalidate(keyIds) {
      for (const keyId of keyIds) cache.delete(keyId);
      if (!invalidations) return;
      try {
        await Promise.all(keyIds.map((keyId) => invalidations.publish(keyId)));
      } catch (err) {
        log.warn(
          { err, keys: keyIds.length },
          'could not push key invalidation; other instances catch up within the cache time',
        );
      }
    },
  };
}
