/**
 * Self-service never widens (DESIGN.md, "Identity and policy"). A `keys:self` principal A creates
 * and rotates only keys no wider than itself, and cannot rotate or revoke a stronger key of its
 * client. A key B is *no wider than* A when:
 *
 * - scopes: every scope of B is one of A's;
 * - allowlist: if A has a CIDR allowlist, B has one and each B block lies inside one A block
 *   (an omitted allowlist inherits A's);
 * - expiry: if A expires, B expires no later (an omitted expiry inherits A's; a rotated key's
 *   computed expiry is clamped to A's, so self-service never extends a key's life);
 * - plan: B's plan is A's (only keys:admin chooses a plan).
 *
 * *Stronger than A* is "not no wider than A". An API-key principal is bounded by its key record; a
 * JWT principal by its scopes and plan only (it has no allowlist and no expiry bound). keys:admin
 * principals are not bounded: they manage any client.
 *
 * Pure functions: the resolvers build the bounds and narrow a creation request; the key service
 * enforces them on the very records it creates, copies or revokes.
 */
import { isCidrWithin } from '../auth/client-ip.js';
import type { Principal } from '../auth/principal.js';
import { DEFAULT_KEY_SCOPES } from '../auth/scopes.js';
import { gatewayError } from '../errors.js';
import type { ApiKeyRecord } from './types.js';

/** The dimensions of a key's power that self-service compares. An ApiKeyRecord is one. */
export interface KeyBounds {
  readonly scopes: readonly string[];
  /** null (or empty): usable from anywhere. */
  readonly allowedCidrs: readonly string[] | null;
  /** ISO time; null: never expires. */
  readonly expiresAt: string | null;
  readonly plan: string;
}

/**
 * The bounds of the acting principal: its key record for an API key (`record` is what
 * `keys.get(principal.keyId)` returned), its scopes and plan for a JWT. Refuses (FORBIDDEN) an
 * API-key principal whose record cannot be read, rather than acting unbounded.
 */
export function actingBounds(principal: Principal, record: ApiKeyRecord | null): KeyBounds {
  const scopes = [...principal.scopes];
  if (principal.via === 'jwt') return { scopes, allowedCidrs: null, expiresAt: null, plan: principal.plan };
  if (!record || record.keyId !== principal.keyId) {
    throw gatewayError('FORBIDDEN', 'Your key could not be read to bound this change; retry shortly.');
  }
  return {
    // The principal's scopes are the record's; intersecting keeps the narrower if they ever differ.
    scopes: scopes.filter((scope) => record.scopes.includes(scope)),
    allowedCidrs: record.allowedCidrs,
    expiresAt: record.expiresAt,
    plan: principal.plan,
  };
}

const hasList = (cidrs: readonly string[] | null): cidrs is readonly string[] =>
  cidrs !== null && cidrs.length > 0;

/** The ways `candidate` is wider than `acting`, as phrases for a message; empty when it is no wider. */
export function widenings(candidate: KeyBounds, acting: KeyBounds): string[] {
  const wider: string[] = [];
  const beyond = candidate.scopes.filter((scope) => !acting.scopes.includes(scope));
  if (beyond.length > 0) wider.push(`scopes ${beyond.join(', ')}`);
  if (hasList(acting.allowedCidrs)) {
    const bound = acting.allowedCidrs;
    if (!hasList(candidate.allowedCidrs)) wider.push('no IP allowlist');
    else {
      const outside = candidate.allowedCidrs.filter((cidr) => !isCidrWithin(cidr, bound));
      if (outside.length > 0) wider.push(`allowlist blocks outside yours: ${outside.join(', ')}`);
    }
  }
  if (acting.expiresAt !== null) {
    if (candidate.expiresAt === null) wider.push('no expiry');
    // Unparsable compares as NaN, never "no later": fails closed.
    else if (!(Date.parse(candidate.expiresAt) <= Date.parse(acting.expiresAt)))
      wider.push(`expiry after yours (${acting.expiresAt})`);
  }
  if (candidate.plan !== acting.plan) wider.push(`plan ${candidate.plan}`);
  return wider;
}

/** Whether `candidate` is no wider than `acting` in any dimension. */
export function isNoWider(candidate: KeyBounds, acting: KeyBounds): boolean {
  return widenings(candidate, acting).length === 0;
}

/** What a keys:self creation request asks for; omitted fields are undefined or null. */
export interface CreationRequest {
  scopes?: readonly string[] | undefined;
  allowedCidrs?: readonly string[] | null | undefined;
  expiresAt?: Date | null | undefined;
}

/**
 * A keys:self creation request with its omitted fields taken from the acting bounds, never from
 * wider defaults: scopes → the acting scopes narrowed to the read-only defaults (BAD_USER_INPUT
 * when that leaves none); allowlist (omitted or empty) and expiry → the acting key's; plan → the
 * acting plan. What is given is kept as given: the key service refuses it if it is wider.
 */
export function narrowedCreation(
  request: CreationRequest,
  acting: KeyBounds,
): { scopes: string[]; allowedCidrs: string[] | null; expiresAt: Date | null; plan: string } {
  let scopes = request.scopes ? [...request.scopes] : undefined;
  if (!scopes) {
    scopes = DEFAULT_KEY_SCOPES.filter((scope) => acting.scopes.includes(scope));
    if (scopes.length === 0) {
      throw gatewayError(
        'BAD_USER_INPUT',
        `Your key holds none of the default scopes (${DEFAULT_KEY_SCOPES.join(', ')}): give scopes explicitly.`,
        { argument: 'scopes' },
      );
    }
  }
  const allowedCidrs = hasList(request.allowedCidrs ?? null)
    ? [...(request.allowedCidrs ?? [])]
    : acting.allowedCidrs && [...acting.allowedCidrs];
  const expiresAt = request.expiresAt ?? (acting.expiresAt === null ? null : new Date(acting.expiresAt));
  return { scopes, allowedCidrs: hasList(allowedCidrs) ? allowedCidrs : null, expiresAt, plan: acting.plan };
}

/** A rotated key's expiry: the computed one, never later than the acting key's. */
export function clampedExpiry(expiresAt: string | null, acting: KeyBounds): string | null {
  if (acting.expiresAt === null) return expiresAt;
  if (expiresAt === null) return acting.expiresAt;
  return Date.parse(expiresAt) <= Date.parse(acting.expiresAt) ? expiresAt : acting.expiresAt;
}
