/**
 * Option-value parsers for the operator CLIs. Each refuses a bad value with an InvalidArgumentError
 * that commander prints as "option '--x <v>' argument 'abc' is invalid. <why>" and exits 2.
 */
import { InvalidArgumentError } from 'commander';
import { parseCidrs } from '../auth/client-ip.js';
import { isKnownScope, KNOWN_SCOPES } from '../auth/scopes.js';
import { parseEd25519PublicKey } from '../keys/signing-credential.js';

/** A whole number in `min..max` (no "1e3", "0x10", "", " 5" or "abc"). */
export function integerIn(min: number, max: number, unit: string): (value: string) => number {
  return (value) => {
    const n = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`It must be a whole number of ${unit} from ${min} to ${max}.`);
    return n;
  };
}

/** A comma-separated list, trimmed, empty items dropped; at least one item. */
export function commaList(value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('It must be a comma-separated list.');
  return items;
}

/** Known scopes (src/auth/scopes.ts), comma-separated. */
export function scopeList(value: string): string[] {
  const scopes = [...new Set(commaList(value))];
  const unknown = scopes.filter((s) => !isKnownScope(s));
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `Unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known scopes: ${KNOWN_SCOPES.join(', ')}.`,
    );
  return scopes;
}

/** CIDR blocks (or bare addresses), comma-separated, parsed as the gateway parses them. */
export function cidrList(value: string): string[] {
  const cidrs = commaList(value);
  try {
    parseCidrs(cidrs);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
  return cidrs;
}

/** A date (YYYY-MM-DD, midnight UTC) or an ISO 8601 time with a zone, in the future. */
export function futureDate(value: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const at = iso.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime()))
    throw new InvalidArgumentError('It must be a date such as 2027-01-31 or 2027-01-31T12:00:00Z.');
  if (at.getTime() <= Date.now()) throw new InvalidArgumentError('It must be in the future.');
  return at;
}

/** An Ed25519 public key, base64 (SPKI DER or the raw 32 bytes); kept as given. */
export function ed25519PublicKey(value: string): string {
  try {
    parseEd25519PublicKey(value);
  } catch {
    throw new InvalidArgumentError(
      'It must be an Ed25519 public key, base64 of SPKI DER or of the raw 32 bytes (see --help for the openssl commands).',
    );
  }
  return value;
}

/**
 * Why `value` is not an HMAC secret (base64, at least 32 bytes), or null. Checked in the action,
 * not by commander, which would echo the value (a secret) in its error.
 */
export function hmacSecretProblem(value: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0)
    return '--hmac-secret must be base64 (openssl rand -base64 32).';
  const bytes = Buffer.from(value, 'base64').length;
  if (bytes < 32)
    return `--hmac-secret must be at least 32 bytes; this one is ${bytes} (openssl rand -base64 32).`;
  return null;
}
