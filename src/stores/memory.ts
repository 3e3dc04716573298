/** In-process stores: one instance only (demo mode, tests, a laptop). */
import type { ApiKeyRecord, AuditEvent, KeyUsage } from '../keys/types.js';
import type { ApiKeyStore, AuditLog, NonceStore } from './types.js';

const clone = <T>(value: T): T => structuredClone(value);

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

/** Keeps the newest `capacity` events. */
export function createMemoryAuditLog(capacity = 10_000): AuditLog {
  const events: AuditEvent[] = [];
  return {
    async append(event) {
      events.push(clone(event));
      if (events.length > capacity) events.splice(0, events.length - capacity);
    },
    async recent(limit) {
      return events.slice(-limit).reverse().map(clone);
    },
  };
}

export type { KeyUsage };

/** Nonces with expiry, purged as the map grows. */
export function createMemoryNonceStore(now: () => number = Date.now): NonceStore {
  const seen = new Map<string, number>();
  let nextPurge = 0;
  return {
    async claim(keyId, nonce, ttlSeconds) {
      const at = now();
      if (at >= nextPurge) {
        for (const [entry, expiresAt] of seen) if (expiresAt <= at) seen.delete(entry);
        nextPurge = at + 1000;
      }
      const entry = `${keyId}\n${nonce}`;
      const expiresAt = seen.get(entry);
      if (expiresAt !== undefined && expiresAt > at) return false;
      seen.set(entry, at + ttlSeconds * 1000);
      return true;
    },
  };
}
