/**
 * API-key lifecycle: create, rotate with a grace window, revoke, revoke all of a client. Each change
 * is audited; rotations and revocations are pushed to every instance's cache. A `within` argument
 * (a keys:self actor's bounds, self-service.ts) refuses, and audits, a key wider than the actor.
 */
import { generateApiKey, type KeyEnvironment } from '../auth/api-key-format.js';
import { gatewayError } from '../errors.js';
import type { KeyCrypto } from './crypto.js';
import type { KeyLookup } from './lookup.js';
import { assertTradeKeyPolicy, type CreateKeyInput, validateCreation } from './policy.js';
import { clampedExpiry, type KeyBounds, widenings } from './self-service.js';
import { signingCredential } from './signing-credential.js';
import { keyState } from './state.js';
import type { ApiKeyStore } from './stores.js';
import type { ApiKeyRecord, AuditEvent } from './types.js';

export interface KeyLifecycleOptions {
  store: ApiKeyStore;
  crypto: KeyCrypto;
  environment: KeyEnvironment;
  keys: Pick<KeyLookup, 'invalidate'>;
  /** Writes an audit event (the service's trail). */
  audit: (event: Omit<AuditEvent, 'at'>) => Promise<void>;
  now: () => number;
  maxActiveKeysPerClient: number;
  maxGraceSeconds: number;
  maxTradeKeyDays: number;
}

/** The lifecycle operations of the key service. */
export function createKeyLifecycle({
  store,
  crypto,
  environment,
  keys,
  audit,
  now,
  maxActiveKeysPerClient,
  maxGraceSeconds,
  maxTradeKeyDays,
}: KeyLifecycleOptions) {
  /** Self-service: a key wider than `within` is refused (FORBIDDEN) and audited. */
  function assertWithin(
    candidate: KeyBounds,
    within: KeyBounds | undefined,
    refusal: string,
    event: Omit<AuditEvent, 'at' | 'type' | 'code' | 'reason'>,
  ): void {
    const wider = within ? widenings(candidate, within) : [];
    if (wider.length === 0) return;
    const error = gatewayError('FORBIDDEN', `${refusal} (wider than yours: ${wider.join('; ')}).`);
    void audit({
      ...event,
      type: 'key.refused',
      code: String(error.extensions.code),
      reason: wider.join('; '),
    });
    throw error;
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
    /** Creates a key (no wider than `within`, a keys:self actor's bounds); `key` is its only copy. */
    async create(input: CreateKeyInput, actor: string, within?: KeyBounds) {
      const at = now();
      const creation = validateCreation(input, at);
      const { scopes, cidrs, expiresAt, plan } = creation;
      // Before the risk policy: a grant beyond the acting key is refused as such, not as a policy miss.
      const candidate = { scopes, allowedCidrs: cidrs, expiresAt, plan };
      assertWithin(candidate, within, 'You cannot create this key', { clientId: input.clientId, actor });
      assertTradeKeyPolicy(creation, at, maxTradeKeyDays);
      const active = (await store.listByClient(input.clientId)).filter((r) => keyState(r, at) === 'active');
      if (active.length >= maxActiveKeysPerClient) {
        throw gatewayError(
          'BAD_USER_INPUT',
          `client ${input.clientId} already has ${active.length} active keys (the most allowed): revoke one first.`,
          { argument: 'clientId' },
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
        signing: signingCredential(input.signing, crypto),
        lastUsedAt: null,
        lastUsedIp: null,
        graceUseCount: 0,
      });
      await audit({ type: 'key.created', keyId: issued.record.keyId, clientId: input.clientId, actor });
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
      if (!old || keyState(old, at) !== 'active') {
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
      await keys.invalidate([keyId]);
      await audit({
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
      const at = now();
      const existing = await store.get(keyId);
      if (!existing) throw gatewayError('NOT_FOUND', 'No such key.', { argument: 'keyId' });
      const refusal = 'You cannot revoke this key';
      assertWithin(existing, within, refusal, { keyId, clientId: existing.clientId, actor });
      const revoked =
        keyState(existing, at) === 'revoked'
          ? existing
          : await store.update(keyId, { revokedAt: new Date(at).toISOString(), revokedReason: reason });
      await keys.invalidate([keyId]);
      await audit({ type: 'key.revoked', keyId, clientId: existing.clientId, actor, reason });
      return revoked ?? existing;
    },

    /** Incident playbook: revokes every key of a client. Returns how many were revoked now. */
    async revokeAll(clientId: string, reason: string, actor: string): Promise<number> {
      const at = now();
      const revokedAt = new Date(at).toISOString();
      const open = (await store.listByClient(clientId)).filter((r) => keyState(r, at) !== 'revoked');
      await Promise.all(open.map((r) => store.update(r.keyId, { revokedAt, revokedReason: reason })));
      await keys.invalidate(open.map((r) => r.keyId));
      await audit({ type: 'key.revoked_all', clientId, actor, reason: `${open.length} keys: ${reason}` });
      return open.length;
    },
  };
}
