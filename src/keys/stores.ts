/**
 * What the key service needs from shared state, one small async interface per concept. The
 * implementations (memory for one instance, Redis for many) live in src/stores and pass one
 * contract suite per interface (test/stores/).
 */
import type { ApiKeyRecord, AuditEvent, KeyUsage } from './types.js';

/** API key records by key id, indexed by client. */
export interface ApiKeyStore {
  get(keyId: string): Promise<ApiKeyRecord | null>;
  /** Stores a new record; false when the key id exists already. */
  create(record: ApiKeyRecord): Promise<boolean>;
  /**
   * Applies a partial update atomically; returns the new record, null when unknown. `hash` changes
   * only to the same key's hash under the keyring's active pepper (on the key's next use).
   */
  update(
    keyId: string,
    patch: Partial<Omit<ApiKeyRecord, 'keyId' | 'clientId'>>,
  ): Promise<ApiKeyRecord | null>;
  listByClient(clientId: string): Promise<ApiKeyRecord[]>;
  /** Every record usable at `now` (ms): not revoked, not expired. Read once at start, to warm caches. */
  listUsable(now: number): Promise<ApiKeyRecord[]>;
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
  /** Stops delivering to this instance's handlers and releases what the bus holds (a connection). */
  close(): Promise<void>;
}
