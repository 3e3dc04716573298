/**
 * API-key lifecycle (create, rotate with a grace window, revoke, revoke all of a client) and
 * authentication of presented keys. Records live in the shared store; each instance keeps them
 * for at most `cacheTtlMs` (1 s), which bounds how long a revocation takes to reach it.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { BlockList } from 'node:net';
import type { Logger } from 'pino';
import { generateApiKey, type KeyEnvironment, parseApiKey } from '../auth/api-key-format.js';
import { cidrCoverage, isAllowAll, isAllowed, parseCidrs } from '../auth/client-ip.js';
import type { Principal } from '../auth/principal.js';
import { DEFAULT_KEY_SCOPES, isKnownScope } from '../auth/scopes.js';
import { type ErrorCode, gatewayError } from '../errors.js';
import { ed25519Key, hmacSha256Key, type VerificationKey } from '../signing/verify.js';
import type { ApiKeyStore, AuditLog, InvalidationBus } from '../stores/types.js';
import type { KeyCrypto } from './crypto.js';
import { clampedExpiry, type KeyBounds, widenings } from './self-service.js';
import type { ApiKeyRecord, AuditEvent, KeyUsage, SigningCredential } from './types.js';

const DAY_MS = 86_400_000;
/**
 * The most an allowlist may admit and still count as one for the trade:write risk policy: one /8
 * of IPv4 and one /32 of IPv6 in total. Broader lists (0.0.0.0/1 + 128.0.0.0/2 + … is "everything
 * but a few addresses") restrict too little to stand in for an expiry.
 */
const NARROW_IPV4 = 1n << 24n;
const NARROW_IPV6 = 1n << 96n;

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
  /** How long a cached record still serves while the store is unreachable, in ms. @default 30000 */
  staleTtlMs?: number;
  /** Active (unrevoked, unexpired, unsuperseded) keys a client may hold. @default 5 */
  maxActiveKeysPerClient?: number;
  /** Longest grace window a rotation may give the old key, in seconds. @default 2592000 (30 days) */
  maxGraceSeconds?: number;
  /** A key with trade:write and no (narrow) IP allowlist may live at most this many days. @default 90 */
  maxTradeKeyDays?: number;
}

export interface CreateKeyInput {
  clientId: string;
  name: string;
  scopes?: readonly string[] | undefined;
  plan?: string | undefined;
  expiresAt?: Date | null | undefined;
  allowedCidrs?: readonly string[] | null | undefined;
  /** Ed25519 public key (SPKI DER or raw 32 bytes, base64), or an HMAC secret (base64, ≥ 32 bytes). */
  signing?:
    | { type: 'ed25519'; publicKey: string }
    | { type: 'hmac-sha256'; secret: string }
    | null
    | undefined;
}

/** The authenticated use of a key, with its deprecation when it is in a rotation's grace window. */
export interface KeyAuthentication {
  principal: Principal;
  record: ApiKeyRecord;
  deprecation: { sunsetAt: string; replacedBy: string } | null;
}

export interface RequestFacts {
  ip: string;
  requestId?: string | undefined;
}

interface CachedRecord {
  record: ApiKeyRecord;
  fetchedAt: number;
  cidrs: BlockList | null;
  /** Built on first use by a signature, kept as long as the record is cached. */
  verifier?: VerificationKey;
}

/** Ed25519 public key from SPKI DER or the raw 32 bytes, base64. */
export function parseEd25519PublicKey(base64: string): KeyObject {
  const bytes = Buffer.from(base64, 'base64');
  const der =
    bytes.length === 32 ? Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), bytes]) : bytes;
  const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  return key;
}

export type KeyService = ReturnType<typeof createKeyService>;

export function createKeyService({
  store,
  audit,
  crypto,
  logger,
  environment,
  invalidations,
  now = Date.now,
  cacheTtlMs = 1000,
  staleTtlMs = 30_000,
  maxActiveKeysPerClient = 5,
  maxGraceSeconds = 30 * 86_400,
  maxTradeKeyDays = 90,
}: KeyServiceOptions) {
  const log = logger.child({ component: 'keys' });
  const cache = new Map<string, CachedRecord>();
  const usage = new Map<string, KeyUsage>();
  invalidations?.subscribe((keyId) => cache.delete(keyId));

  /** Forgets a key here and tells every other instance to do the same. */
  async function invalidate(keyIds: readonly string[]): Promise<void> {
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
  }

  async function record(event: Omit<AuditEvent, 'at'>): Promise<void> {
    const entry = { ...event, at: new Date(now()).toISOString() };
    log.info({ audit: entry }, event.type);
    try {
      await audit.append(entry);
    } catch (err) {
      log.error({ err, audit: entry }, 'audit append failed');
    }
  }

  function refuse(
    code: ErrorCode,
    message: string,
    event?: Omit<AuditEvent, 'at' | 'type' | 'code'>,
    key?: ApiKeyRecord,
  ): never {
    if (event) void record({ ...event, type: 'key.refused', code });
    const error = gatewayError(code, message, undefined, { http: true });
    // For metrics only (never serialised): which client's key, which version, was it rotated.
    if (key) Object.defineProperty(error, 'refusedKey', { value: key, enumerable: false });
    throw error;
  }

  async function lookup(keyId: string): Promise<CachedRecord | null> {
    const cached = cache.get(keyId);
    const at = now();
    if (cached && at - cached.fetchedAt < cacheTtlMs) return cached;
    let fresh: ApiKeyRecord | null;
    try {
      fresh = await store.get(keyId);
    } catch (err) {
      if (cached && at - cached.fetchedAt < staleTtlMs) {
        log.warn({ err, keyId }, 'key store unreachable: serving a recently cached record');
        return cached;
      }
      log.error({ err, keyId }, 'key store unreachable: refusing');
      throw gatewayError(
        'SERVICE_UNAVAILABLE',
        'Keys cannot be verified right now; retry shortly.',
        undefined,
        { http: true },
      );
    }
    if (!fresh) {
      cache.delete(keyId);
      return null;
    }
    const entry = {
      record: fresh,
      fetchedAt: at,
      cidrs: fresh.allowedCidrs ? parseCidrs(fresh.allowedCidrs) : null,
    };
    cache.set(keyId, entry);
    if (cache.size > 50_000) cache.delete(cache.keys().next().value as string);
    return entry;
  }

  /** Self-service (self-service.ts): a key wider than `within` is refused (FORBIDDEN) and audited. */
  function assertWithin(
    candidate: KeyBounds,
    within: KeyBounds | undefined,
    refusal: string,
    event: Omit<AuditEvent, 'at' | 'type' | 'code' | 'reason'>,
  ): void {
    const wider = within ? widenings(candidate, within) : [];
    if (wider.length === 0) return;
    const error = gatewayError('FORBIDDEN', `${refusal} (wider than yours: ${wider.join('; ')}).`);
    void record({
      ...event,
      type: 'key.refused',
      code: String(error.extensions.code),
      reason: wider.join('; '),
    });
    throw error;
  }

  function isActive(r: ApiKeyRecord, at: number): boolean {
    return !r.revokedAt && !r.supersededBy && !(r.expiresAt && Date.parse(r.expiresAt) <= at);
  }

  function validateCreate(
    input: CreateKeyInput,
    at: number,
    actor: string,
    within: KeyBounds | undefined,
  ): { scopes: string[]; cidrs: string[] | null; expiresAt: string | null; plan: string } {
    const bad = (message: string, argument: string) => {
      throw gatewayError('BAD_USER_INPUT', message, { argument });
    };
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(input.clientId))
      bad('clientId must be 1-64 letters, digits, ".", "-" or "_".', 'clientId');
    if (input.name.length < 1 || input.name.length > 100) bad('name must be 1-100 characters.', 'name');
    const scopes = [...new Set(input.scopes ?? DEFAULT_KEY_SCOPES)];
    const unknown = scopes.filter((s) => !isKnownScope(s));
    if (unknown.length > 0 || scopes.length === 0)
      bad(`unknown scopes: ${unknown.join(', ') || '(none given)'}.`, 'scopes');
    const cidrs = input.allowedCidrs && input.allowedCidrs.length > 0 ? [...input.allowedCidrs] : null;
    let narrow = false;
    if (cidrs) {
      try {
        parseCidrs(cidrs);
      } catch (err) {
        bad((err as Error).message, 'allowedCidrs');
      }
      // An allow-all list is no allowlist: refused outright rather than stored as a false promise.
      if (isAllowAll(cidrs))
        bad(`${cidrs.join(', ')} admits every address: it is not an allowlist (omit it).`, 'allowedCidrs');
      const { ipv4, ipv6 } = cidrCoverage(cidrs);
      narrow = ipv4 <= NARROW_IPV4 && ipv6 <= NARROW_IPV6;
    }
    const expires = input.expiresAt ?? null;
    if (expires && expires.getTime() <= at) bad('expiresAt must be in the future.', 'expiresAt');
    const expiresAt = expires ? expires.toISOString() : null;
    const plan = input.plan ?? 'free';
    // Before the risk policy: a grant beyond the acting key is refused as such, not as a policy miss.
    const candidate = { scopes, allowedCidrs: cidrs, expiresAt, plan };
    assertWithin(candidate, within, 'You cannot create this key', { clientId: input.clientId, actor });
    if (
      scopes.includes('trade:write') &&
      !narrow &&
      (!expires || expires.getTime() - at > maxTradeKeyDays * DAY_MS)
    ) {
      bad(
        `a key with trade:write needs an IP allowlist (at most a /8 of IPv4 and a /32 of IPv6 in all) or an expiry within ${maxTradeKeyDays} days.`,
        'scopes',
      );
    }
    return { scopes, cidrs, expiresAt, plan };
  }

  function signingCredential(signing: CreateKeyInput['signing']): SigningCredential | null {
    if (!signing) return null;
    if (signing.type === 'ed25519') {
      let key: KeyObject;
      try {
        key = parseEd25519PublicKey(signing.publicKey);
      } catch {
        throw gatewayError(
          'BAD_USER_INPUT',
          'the Ed25519 public key must be SPKI DER or 32 raw bytes, base64.',
          { argument: 'signing' },
        );
      }
      return { type: 'ed25519', publicKey: key.export({ format: 'der', type: 'spki' }).toString('base64') };
    }
    const secret = Buffer.from(signing.secret, 'base64');
    if (secret.length < 32)
      throw gatewayError('BAD_USER_INPUT', 'an HMAC signing secret must be at least 32 bytes.', {
        argument: 'signing',
      });
    return { type: 'hmac-sha256', encryptedSecret: crypto.seal(secret) };
  }

  async function issue(
    base: Omit<ApiKeyRecord, 'keyId' | 'hash' | 'environment'>,
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    const { key, keyId } = generateApiKey(environment);
    const fresh: ApiKeyRecord = { ...base, keyId, environment, hash: crypto.hashKey(key) };
    if (!(await store.create(fresh))) throw new Error('key id collision'); // 95 random bits: not expected in practice
    return { key, record: fresh };
  }

  return {
    environment,

    /** Creates a key (no wider than `within`, a keys:self actor's bounds); `key` is its only copy. */
    async create(input: CreateKeyInput, actor: string, within?: KeyBounds) {
      const at = now();
      const { scopes, cidrs, expiresAt, plan } = validateCreate(input, at, actor, within);
      const active = (await store.listByClient(input.clientId)).filter((r) => isActive(r, at));
      if (active.length >= maxActiveKeysPerClient) {
        throw gatewayError(
          'BAD_USER_INPUT',
          `client ${input.clientId} already has ${active.length} active keys (the most allowed): revoke one first.`,
          {
            argument: 'clientId',
          },
        );
      }
      const issued = await issue({
        clientId: input.clientId,
        version: 1,
        name: input.name,
        scopes,
        plan,
        createdAt: new Date(at).toISOString(),
        expiresAt,
        revokedAt: null,
        revokedReason: null,
        supersededBy: null,
        sunsetAt: null,
        allowedCidrs: cidrs,
        signing: signingCredential(input.signing),
        lastUsedAt: null,
        lastUsedIp: null,
        graceUseCount: 0,
      });
      await record({ type: 'key.created', keyId: issued.record.keyId, clientId: input.clientId, actor });
      return issued;
    },

    /**
     * Issues the next version of a key; the old one keeps working for `graceSeconds`, then expires.
     * With `within` (a keys:self actor's bounds) a stronger key is refused, the copy's expiry clamped.
     */
    async rotate(keyId: string, graceSeconds: number, actor: string, within?: KeyBounds) {
      if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > maxGraceSeconds) {
        throw gatewayError('BAD_USER_INPUT', `graceSeconds must be within 0..${maxGraceSeconds}.`, {
          argument: 'graceSeconds',
        });
      }
      const at = now();
      const old = await store.get(keyId);
      if (!old || !isActive(old, at)) {
        throw gatewayError(
          'BAD_USER_INPUT',
          'Only an active key that was not rotated already can be rotated.',
          { argument: 'keyId' },
        );
      }
      // Checked on the record copied below: a copy of a stronger key is a takeover of it.
      assertWithin(old, within, 'You cannot rotate this key', { keyId, clientId: old.clientId, actor });
      const lifetime = old.expiresAt ? Date.parse(old.expiresAt) - Date.parse(old.createdAt) : null;
      const computed = lifetime === null ? null : new Date(at + lifetime).toISOString();
      const issued = await issue({
        ...old,
        version: old.version + 1,
        createdAt: new Date(at).toISOString(),
        expiresAt: within ? clampedExpiry(computed, within) : computed,
        revokedAt: null,
        revokedReason: null,
        supersededBy: null,
        sunsetAt: null,
        lastUsedAt: null,
        lastUsedIp: null,
        graceUseCount: 0,
      });
      const sunsetAt = new Date(at + graceSeconds * 1000).toISOString();
      const expiresAt = old.expiresAt && old.expiresAt < sunsetAt ? old.expiresAt : sunsetAt;
      const previous = await store.update(keyId, { supersededBy: issued.record.keyId, sunsetAt, expiresAt });
      await invalidate([keyId]);
      await record({
        type: 'key.rotated',
        keyId,
        clientId: old.clientId,
        actor,
        reason: `replaced by ${issued.record.keyId}, sunset ${sunsetAt}`,
      });
      return { ...issued, previous: previous ?? old };
    },

    /** Revokes a key at once (every instance within cacheTtlMs); not one stronger than `within`. */
    async revoke(keyId: string, reason: string, actor: string, within?: KeyBounds): Promise<ApiKeyRecord> {
      const at = new Date(now()).toISOString();
      const existing = await store.get(keyId);
      if (!existing) throw gatewayError('NOT_FOUND', 'No such key.', { argument: 'keyId' });
      const refusal = 'You cannot revoke this key';
      assertWithin(existing, within, refusal, { keyId, clientId: existing.clientId, actor });
      const revoked = existing.revokedAt
        ? existing
        : await store.update(keyId, { revokedAt: at, revokedReason: reason });
      await invalidate([keyId]);
      await record({ type: 'key.revoked', keyId, clientId: existing.clientId, actor, reason });
      return revoked ?? existing;
    },

    /** Incident playbook: revokes every key of a client. Returns how many were revoked now. */
    async revokeAll(clientId: string, reason: string, actor: string): Promise<number> {
      const at = new Date(now()).toISOString();
      const keys = (await store.listByClient(clientId)).filter((r) => !r.revokedAt);
      await Promise.all(keys.map((r) => store.update(r.keyId, { revokedAt: at, revokedReason: reason })));
      await invalidate(keys.map((r) => r.keyId));
      await record({ type: 'key.revoked_all', clientId, actor, reason: `${keys.length} keys: ${reason}` });
      return keys.length;
    },

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

    list: (clientId: string) => store.listByClient(clientId),
    get: (keyId: string) => store.get(keyId),
    recentAudit: (limit: number) => audit.recent(limit),

    /** Verifies a presented key; throws the catalogue error to answer (and audits refusals). */
    async authenticate(presented: string, facts: RequestFacts): Promise<KeyAuthentication> {
      const parsed = parseApiKey(presented);
      if (!parsed) refuse('UNAUTHENTICATED', 'The API key is malformed (its checksum does not match).');
      if (parsed.environment !== environment) {
        refuse('UNAUTHENTICATED', `This deployment accepts only ${environment} keys (sy_${environment}_…).`);
      }
      const { keyId } = parsed;
      const base = { keyId, ip: facts.ip, requestId: facts.requestId };
      const entry = await lookup(keyId);
      if (!entry || !crypto.matches(presented, entry.record.hash))
        refuse('UNAUTHENTICATED', 'Unknown API key.', {
          ...base,
          reason: entry ? 'secret mismatch' : 'unknown key id',
        });
      const r = entry.record;
      const at = now();
      const audited = { ...base, clientId: r.clientId };
      if (r.revokedAt) refuse('KEY_REVOKED', 'This API key has been revoked.', audited, r);
      if (r.expiresAt && Date.parse(r.expiresAt) <= at) {
        refuse(
          'KEY_EXPIRED',
          r.supersededBy
            ? `This API key was rotated and its grace window ended: use key ${r.supersededBy}.`
            : 'This API key has expired.',
          audited,
          r,
        );
      }
      if (entry.cidrs && !isAllowed(entry.cidrs, facts.ip))
        refuse('IP_NOT_ALLOWED', 'This API key cannot be used from this address.', audited, r);

      const inGrace = r.supersededBy !== null && r.sunsetAt !== null;
      const seen = usage.get(keyId);
      const atIso = new Date(at).toISOString();
      if (seen) {
        seen.lastUsedAt = atIso;
        seen.lastUsedIp = facts.ip;
        if (inGrace) seen.graceUses++;
      } else {
        usage.set(keyId, { keyId, lastUsedAt: atIso, lastUsedIp: facts.ip, graceUses: inGrace ? 1 : 0 });
      }
      return {
        record: r,
        deprecation: inGrace ? { sunsetAt: r.sunsetAt!, replacedBy: r.supersededBy! } : null,
        principal: {
          userId: r.clientId,
          clientId: r.clientId,
          via: 'api-key',
          scopes: new Set(r.scopes),
          plan: r.plan,
          keyId,
          keyVersion: r.version,
        },
      };
    },

    /**
     * The key a signature's keyid names, when it is active and carries a signing credential; null
     * otherwise. Uses the same short cache as authentication.
     */
    async verificationKey(keyId: string): Promise<{ record: ApiKeyRecord; key: VerificationKey } | null> {
      if (!/^[0-9A-Za-z]{16}$/.test(keyId)) return null;
      const entry = await lookup(keyId);
      const r = entry?.record;
      if (!entry || !r?.signing || r.revokedAt || (r.expiresAt && Date.parse(r.expiresAt) <= now()))
        return null;
      entry.verifier ??=
        r.signing.type === 'ed25519'
          ? ed25519Key(parseEd25519PublicKey(r.signing.publicKey))
          : hmacSha256Key(crypto.open(r.signing.encryptedSecret));
      return { record: r, key: entry.verifier };
    },

    /** Writes buffered last-use and grace-use counts in one store round trip (called on a timer). */
    async flushUsage(): Promise<void> {
      if (usage.size === 0) return;
      const batch = [...usage.values()];
      usage.clear();
      try {
        await store.recordUsage(batch);
      } catch (err) {
        log.warn({ err, keys: batch.length }, 'could not record key usage; it is dropped');
      }
    },
  };
}
