/**
 * Shared-state interfaces. Each has a Redis implementation (several instances behave as one) and a
 * memory one (single instance, demo and tests), and both pass one contract suite
 * (test/stores/contract.ts).
 */
import type { ApiKeyRecord, AuditEvent, KeyUsage } from '../keys/types.js';

/** API key records by key id, indexed by client. */
export interface ApiKeyStore {
  get(keyId: string): Promise<ApiKeyRecord | null>;
  /** Stores a new record; false when the key id exists already. */
  create(record: ApiKeyRecord): Promise<boolean>;
  /** Applies a partial update atomically; returns the new record, null when unknown. */
  update(
    keyId: string,
    patch: Partial<Omit<ApiKeyRecord, 'keyId' | 'clientId' | 'hash'>>,
  ): Promise<ApiKeyRecord | null>;
  listByClient(clientId: string): Promise<ApiKeyRecord[]>;
  /** Applies buffered usage (last use, grace-window use counts) in one round trip. */
  recordUsage(usage: readonly KeyUsage[]): Promise<void>;
}

/** Append-only audit stream. */
export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  /** The newest events first, at most `limit`. */
  recent(limit: number): Promise<AuditEvent[]>;
}

/** Pushes "this key changed" to every instance, so revocations need not wait for caches to expire. */
export interface InvalidationBus {
  publish(keyId: string): Promise<void>;
  /** Registers the handler; called for every key id published by any instance (this one included). */
  subscribe(onKey: (keyId: string) => void): void;
  close(): Promise<void>;
}

/** Remembers signature nonces: each accepted once per key within the signature window. */
export interface NonceStore {
  /** True the first time a (key, nonce) pair is seen within `ttlSeconds`; false for a replay. Throws when unreachable. */
  claim(keyId: string, nonce: string, ttlSeconds: number): Promise<boolean>;
}
