/**
 * The API-key service: lifecycle (lifecycle.ts), authentication of presented keys
 * (authentication.ts) over a short per-instance record cache (lookup.ts), buffered usage
 * (usage.ts), and the audit trail they share. Records live in the shared store; each instance
 * trusts what it read for at most `cacheTtlMs` (1 s), which bounds how long a revocation takes to
 * reach an instance that missed its invalidation.
 */
import type { Logger } from 'pino';
import { type KeyEnvironment, parseApiKey } from '../auth/api-key-format.js';
import { createKeyAuthenticator } from './authentication.js';
import type { KeyCrypto } from './crypto.js';
import { createKeyLifecycle } from './lifecycle.js';
import { createKeyLookup } from './lookup.js';
import type { ApiKeyStore, AuditLog, InvalidationBus } from './stores.js';
import type { ApiKeyRecord, AuditEvent } from './types.js';
import { createUsageBuffer } from './usage.js';

export type { KeyAuthentication, RequestFacts } from './authentication.js';
export type { CreateKeyInput } from './policy.js';

export interface KeyServiceOptions {
  store: ApiKeyStore;
  audit: AuditLog;
  crypto: KeyCrypto;
  logger: Logger;
  /** Which keys this deployment accepts: `live` in production, `test` elsewhere. */
  environment: KeyEnvironment;
  /** Pushes key changes to every instance (Redis pub/sub); the cache TTL stays as the backstop. */
  invalidations?: InvalidationBus | undefined;
  /** @default Date.now */
  now?: () => number;
  /** How long an instance trusts a record it read, in ms. Bounds revocation delay. @default 1000 */
  cacheTtlMs?: number;
  /**
   * How long after its last successful read a cached record still serves while the store
   * (PostgreSQL) is unreachable, in ms; unknown keys are refused (503) meanwhile. A revocation made
   * during the outage cannot be read either: this is the window in which one may go unseen.
   * @default 600000 (10 minutes)
   */
  staleTtlMs?: number;
  /** Active (unrevoked, unexpired, unsuperseded) keys a client may hold. @default 5 */
  maxActiveKeysPerClient?: number;
  /** Longest grace window a rotation may give the old key, in seconds. @default 2592000 (30 days) */
  maxGraceSeconds?: number;
  /** A key with trade:write and no (narrow) IP allowlist may live at most this many days. @default 90 */
  maxTradeKeyDays?: number;
}

export type KeyService = ReturnType<typeof createKeyService>;

/** Builds the key service of one instance over the shared stores. */
export function createKeyService({
  store,
  audit,
  crypto,
  logger,
  environment,
  invalidations,
  now = Date.now,
  cacheTtlMs = 1000,
  staleTtlMs = 600_000,
  maxActiveKeysPerClient = 5,
  maxGraceSeconds = 30 * 86_400,
  maxTradeKeyDays = 90,
}: KeyServiceOptions) {
  const log = logger.child({ component: 'keys' });

  /** Logs the event and appends it to the audit stream; a failed append is logged, not thrown. */
  async function trail(event: Omit<AuditEvent, 'at'>): Promise<void> {
    const entry = { ...event, at: new Date(now()).toISOString() };
    log.info({ audit: entry }, event.type);
    try {
      await audit.append(entry);
    } catch (err) {
      log.error({ err, audit: entry }, 'audit append failed');
    }
  }

  const keys = createKeyLookup({ store, invalidations, log, now, cacheTtlMs, staleTtlMs });
  const usage = createUsageBuffer(store, log);
  const lifecycle = createKeyLifecycle({
    store,
    crypto,
    environment,
    keys,
    audit: trail,
    now,
    maxActiveKeysPerClient,
    maxGraceSeconds,
    maxTradeKeyDays,
  });
  // Keys hashed under an older pepper move to the active one on their next use, once per process.
  const rehashing = new Set<string>();
  function rehash(keyId: string, hash: string): void {
    if (rehashing.has(keyId)) return;
    rehashing.add(keyId);
    store.update(keyId, { hash }).then(
      () => log.info({ keyId }, 'key hash moved to the active pepper version'),
      (err: unknown) => {
        rehashing.delete(keyId);
        log.warn({ err, keyId }, 'key hash not moved to the active pepper version; retried on a later use');
      },
    );
  }
  const authenticator = createKeyAuthenticator({
    environment,
    crypto,
    keys,
    usage,
    audit: trail,
    now,
    rehash,
  });

  return {
    environment,
    create: lifecycle.create,
    rotate: lifecycle.rotate,
    revoke: lifecycle.revoke,
    revokeAll: lifecycle.revokeAll,

    /**
     * The stored record of a presented key when its keyed hash matches (constant time); null for a
     * malformed string, an unknown key id, or a checksum-valid string that only carries a public
     * key id. The leaked-key scanner revokes only what this confirms.
     */
    async confirmLeak(presented: string): Promise<ApiKeyRecord | null> {
      const parsed = parseApiKey(presented);
      const stored = parsed ? await store.get(parsed.keyId) : null;
      return stored && crypto.matches(presented, stored.hash) ? stored : null;
    },

    /**
     * Warms this instance's record cache with every usable key (start-up), so that a PostgreSQL
     * outage soon after start still serves keys nobody has used here yet. Fails soft: a cold cache
     * fills as keys are used.
     */
    async warm(): Promise<number> {
      try {
        const records = await store.listUsable(now());
        keys.warm(records);
        return records.length;
      } catch (err) {
        log.warn({ err }, 'could not warm the key cache; it fills as keys are used');
        return 0;
      }
    },

    /**
     * Registers a handler for every key change any instance publishes (revocation, rotation):
     * long-lived uses of a key (subscriptions) re-read the record and end when it is no longer usable.
     */
    onKeyChanged(handler: (keyId: string) => void): void {
      invalidations?.subscribe(handler);
    },

    /**
     * Re-seals every usable key's HMAC signing secret under the active KEK, and counts the hashes
     * still under an older pepper (they move on the key's next use: the key is not stored). Safe
     * while gateways run: a secret that does not open is reported, never replaced.
     */
    async rewrapSecrets(): Promise<{
      resealed: number;
      current: number;
      oldHashes: string[];
      failed: string[];
    }> {
      let resealed = 0;
      let current = 0;
      const oldHashes: string[] = [];
      const failed: string[] = [];
      for (const record of await store.listUsable(now())) {
        if (!crypto.isCurrent(record.hash)) oldHashes.push(record.keyId);
        const signing = record.signing;
        if (signing?.type !== 'hmac-sha256') continue;
        if (crypto.isCurrent(signing.encryptedSecret)) {
          current++;
          continue;
        }
        try {
          const encryptedSecret = crypto.reseal(signing.encryptedSecret);
          await store.update(record.keyId, { signing: { type: 'hmac-sha256', encryptedSecret } });
          await keys.invalidate([record.keyId]);
          resealed++;
        } catch (err) {
          log.error({ err, keyId: record.keyId }, 'signing secret not re-sealed');
          failed.push(record.keyId);
        }
      }
      return { resealed, current, oldHashes, failed };
    },

    list: (clientId: string) => store.listByClient(clientId),
    get: (keyId: string) => store.get(keyId),
    recentAudit: (limit: number) => audit.recent(limit),

    authenticate: authenticator.authenticate,
    verificationKey: authenticator.verificationKey,

    /** Writes buffered last-use and grace-use counts in one store round trip (called on a timer). */
    flushUsage: usage.flush,
  };
}
