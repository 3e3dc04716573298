/**
 * Presented keys checked against their records: format and deployment first (no store lookup for
 * a typo), then the keyed hash, the key's state and its IP allowlist. Every refusal after the
 * lookup is audited; usage is buffered, not written per request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type KeyEnvironment, parseApiKey } from '../auth/api-key-format.js';
import { isAllowed } from '../auth/client-ip.js';
import type { Principal } from '../auth/principal.js';
import { type ErrorCode, gatewayError } from '../errors.js';
import type { VerificationKey } from '../signing/verify.js';
import type { KeyCrypto } from './crypto.js';
import type { CachedRecord, KeyLookup } from './lookup.js';
import { verifierOf } from './signing-credential.js';
import { isUsable, keyState } from './state.js';
import type { ApiKeyRecord, AuditEvent } from './types.js';
import type { UsageBuffer } from './usage.js';

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

export interface KeyAuthenticatorOptions {
  environment: KeyEnvironment;
  crypto: KeyCrypto;
  keys: KeyLookup;
  usage: UsageBuffer;
  /** Writes an audit event (the service's trail). */
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>;
  now: () => number;
  /**
   * Told when a presented key matched a hash made under an older pepper of the keyring, with its
   * hash under the active one: the only moment the key itself is at hand to move it forward.
   */
  rehash?: (keyId: string, hash: string) => void;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Builds `authenticate` (X-API-Key) and `verificationKey` (a signature's keyid) over one lookup. */
export function createKeyAuthenticator({
  environment,
  crypto,
  keys,
  usage,
  audit,
  now,
  rehash,
}: KeyAuthenticatorOptions) {
  function refuse(
    code: ErrorCode,
    message: string,
    event?: Omit<AuditEvent, 'at' | 'type' | 'code'>,
    key?: ApiKeyRecord,
  ): never {
    if (event) void audit({ ...event, type: 'key.refused', code });
    const error = gatewayError(code, message, undefined, { http: true });
    // For metrics only (never serialised): which client's key, which version, was it rotated.
    if (key) Object.defineProperty(error, 'refusedKey', { value: key, enumerable: false });
    throw error;
  }

  /**
   * Whether `presented` is the key of the cached record. The keyed hash (HMAC under the pepper) is
   * computed once per cached record: a match leaves the SHA-256 of the key on the entry, and the
   * next requests compare that (constant time) instead — an HMAC context per request cost ~2% of a
   * small request's CPU. The digest of a 256-bit secret reveals nothing; a wrong key never matches
   * it and still goes through the HMAC; a re-read record (1 s, or a pushed revocation) starts over.
   */
  function verified(entry: CachedRecord, presented: string): boolean {
    const digest = sha256(presented);
    if (entry.keyDigest && timingSafeEqual(entry.keyDigest, digest)) return true;
    if (!crypto.matches(presented, entry.record.hash)) return false;
    entry.keyDigest = digest;
    return true;
  }

  return {
    /** Verifies a presented key; throws the catalogue error to answer (and audits refusals). */
    async authenticate(presented: string, facts: RequestFacts): Promise<KeyAuthentication> {
      const parsed = parseApiKey(presented);
      if (!parsed) refuse('UNAUTHENTICATED', 'The API key is malformed (its checksum does not match).');
      if (parsed.environment !== environment) {
        refuse('UNAUTHENTICATED', `This deployment accepts only ${environment} keys (sy_${environment}_…).`);
      }
      const { keyId } = parsed;
      const base = { keyId, ip: facts.ip, requestId: facts.requestId };
      const entry = await keys.lookup(keyId);
      if (!entry || !verified(entry, presented))
        refuse('UNAUTHENTICATED', 'Unknown API key.', {
          ...base,
          reason: entry ? 'secret mismatch' : 'unknown key id',
        });
      const r = entry.record;
      const at = now();
      const audited = { ...base, clientId: r.clientId };
      const state = keyState(r, at);
      if (state === 'revoked') refuse('KEY_REVOKED', 'This API key has been revoked.', audited, r);
      if (state === 'expired') {
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

      if (rehash && !crypto.isCurrent(r.hash)) rehash(keyId, crypto.hashKey(presented));
      // A rotation sets both; the deprecation headers need the sunset.
      const inGrace = state === 'grace' && r.sunsetAt !== null;
      usage.note(keyId, at, facts.ip, inGrace);
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
          ...(r.expiresAt ? { expiresAt: Date.parse(r.expiresAt) } : {}),
        },
      };
    },

    /**
     * The key a signature's keyid names, when it is usable (active or in grace) and carries a
     * signing credential; null otherwise. Uses the same short cache as authentication.
     */
    async verificationKey(keyId: string): Promise<{ record: ApiKeyRecord; key: VerificationKey } | null> {
      if (!/^[0-9A-Za-z]{16}$/.test(keyId)) return null;
      const entry = await keys.lookup(keyId);
      const r = entry?.record;
      if (!entry || !r?.signing || !isUsable(keyState(r, now()))) return null;
      entry.verifier ??= verifierOf(r.signing, crypto);
      return { record: r, key: entry.verifier };
    },
  };
}
