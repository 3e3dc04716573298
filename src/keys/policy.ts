/**
 * What a new key may be: the shape of a creation request (client id, name, known scopes, a real
 * allowlist, a future expiry) and the risk policy for trading keys. Pure: the lifecycle applies
 * these around its self-service check, in the order the refusals must come.
 */
import { cidrCoverage, isAllowAll, parseCidrs } from '../auth/client-ip.js';
import { DEFAULT_KEY_SCOPES, isKnownScope } from '../auth/scopes.js';
import { gatewayError } from '../errors.js';
import type { SigningInput } from './signing-credential.js';

const DAY_MS = 86_400_000;
/**
 * The most an allowlist may admit and still count as one for the trade:write risk policy: one /8
 * of IPv4 and one /32 of IPv6 in total. Broader lists (0.0.0.0/1 + 128.0.0.0/2 + … is "everything
 * but a few addresses") restrict too little to stand in for an expiry.
 */
const NARROW_IPV4 = 1n << 24n;
const NARROW_IPV6 = 1n << 96n;

export interface CreateKeyInput {
  clientId: string;
  name: string;
  scopes?: readonly string[] | undefined;
  plan?: string | undefined;
  expiresAt?: Date | null | undefined;
  allowedCidrs?: readonly string[] | null | undefined;
  /** Ed25519 public key (SPKI DER or raw 32 bytes, base64), or an HMAC secret (base64, ≥ 32 bytes). */
  signing?: SigningInput | null | undefined;
}

/** A creation request once validated: what the key record will hold. */
export interface ValidCreation {
  scopes: string[];
  cidrs: string[] | null;
  expiresAt: string | null;
  plan: string;
  /** The allowlist is narrow enough to stand in for an expiry (trade:write policy). */
  narrow: boolean;
}

const bad = (message: string, argument: string): never => {
  throw gatewayError('BAD_USER_INPUT', message, { argument });
};

/** Checks a creation request's fields at `at` (ms); BAD_USER_INPUT names the first bad argument. */
export function validateCreation(input: CreateKeyInput, at: number): ValidCreation {
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
  return { scopes, cidrs, expiresAt, plan: input.plan ?? 'free', narrow };
}

/**
 * A key with trade:write needs a narrow IP allowlist or an expiry within `maxTradeKeyDays` of `at`:
 * a leaked trading key must not work from anywhere, forever.
 */
export function assertTradeKeyPolicy(creation: ValidCreation, at: number, maxTradeKeyDays: number): void {
  const { scopes, narrow, expiresAt } = creation;
  if (
    scopes.includes('trade:write') &&
    !narrow &&
    (!expiresAt || Date.parse(expiresAt) - at > maxTradeKeyDays * DAY_MS)
  ) {
    bad(
      `a key with trade:write needs an IP allowlist (at most a /8 of IPv4 and a /32 of IPv6 in all) or an expiry within ${maxTradeKeyDays} days.`,
      'scopes',
    );
  }
}
