/**
 * The API keys the exchange sandbox knows: created and deleted through the admin routes (or
 * in-process), each with its secret, permissions and address allowlist. Keys live in memory, per
 * sandbox instance.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

/** What a key may do, as `GET /api/v1/key-permissions` answers it. */
export interface KeyPermissions {
  read: boolean;
  trade: boolean;
  withdraw: boolean;
  ipRestricted: boolean;
}

/** The body of `POST /__sandbox/keys`, and the argument of `ExchangeSandbox.createKey`. */
export interface KeyPermissionsInput {
  /** @default false */
  read?: boolean;
  /** @default false */
  trade?: boolean;
  /** @default false */
  withdraw?: boolean;
  /** @default false */
  ipRestricted?: boolean;
  /** The allowed client addresses; ignored unless `ipRestricted`. @default DEFAULT_ALLOWED_IPS */
  ips?: readonly string[];
}

/** What `POST /__sandbox/keys` answers: the credentials, shown this once. */
export interface ExchangeCredentials {
  apiKey: string;
  apiSecret: string;
}

/** A key as the sandbox keeps it. */
export interface ExchangeKey extends ExchangeCredentials {
  readonly permissions: Readonly<KeyPermissions>;
  /** Normalised allowed addresses (see `normalizeAddress`); empty when not restricted. */
  readonly ips: ReadonlySet<string>;
}

/** The addresses of an IP-restricted key created without `ips`: loopback, as clients connect to it. */
export const DEFAULT_ALLOWED_IPS: readonly string[] = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/** Length of API keys and secrets, in characters of [A-Za-z0-9]. */
export const CREDENTIAL_LENGTH = 64;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const FLAGS = ['read', 'trade', 'withdraw', 'ipRestricted'] as const;
const FIELDS: ReadonlySet<string> = new Set([...FLAGS, 'ips']);

/** The keys of one sandbox. */
export interface KeyRegistry {
  /** Creates a key; throws a TypeError naming the bad field of `input`. */
  create(input: KeyPermissionsInput): ExchangeCredentials;
  /** Deletes a key at once; false when it is unknown. */
  delete(apiKey: string): boolean;
  get(apiKey: string): ExchangeKey | undefined;
}

/** Creates an empty registry. */
export function createKeyRegistry(): KeyRegistry {
  const keys = new Map<string, ExchangeKey>();
  return {
    create(input) {
      const problem = keyInputProblem(input);
      if (problem) throw new TypeError(problem);
      const permissions: KeyPermissions = {
        read: input.read ?? false,
        trade: input.trade ?? false,
        withdraw: input.withdraw ?? false,
        ipRestricted: input.ipRestricted ?? false,
      };
      const ips = permissions.ipRestricted
        ? new Set((input.ips ?? DEFAULT_ALLOWED_IPS).map(normalizeAddress))
        : new Set<string>();
      let apiKey = randomCredential();
      while (keys.has(apiKey)) apiKey = randomCredential();
      const key: ExchangeKey = { apiKey, apiSecret: randomCredential(), permissions, ips };
      keys.set(apiKey, key);
      return { apiKey: key.apiKey, apiSecret: key.apiSecret };
    },
    delete: (apiKey) => keys.delete(apiKey),
    get: (apiKey) => keys.get(apiKey),
  };
}

/** Why `input` is not a valid key body (unknown field, wrong type, bad address), or null when it is. */
export function keyInputProblem(input: unknown): string | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return 'body must be a JSON object';
  const fields = input as Record<string, unknown>;
  const unknown = Object.keys(fields).find((name) => !FIELDS.has(name));
  if (unknown !== undefined) return `unknown field "${unknown.slice(0, 64)}"`;
  const flag = FLAGS.find((name) => fields[name] !== undefined && typeof fields[name] !== 'boolean');
  if (flag !== undefined) return `${flag} must be a boolean`;
  const { ips } = fields;
  // Ignored unless the key is restricted, as the contract says: not even checked.
  if (ips === undefined || fields.ipRestricted !== true) return null;
  if (!Array.isArray(ips) || ips.length === 0 || ips.length > 100)
    return 'ips must be an array of 1..100 addresses';
  const bad = ips.find((ip) => typeof ip !== 'string' || isIP(ip) === 0);
  return bad === undefined ? null : `ips holds an invalid address: ${JSON.stringify(bad).slice(0, 64)}`;
}

/** Whether a request from `remoteAddress` may use `key`. */
export function isAddressAllowed(key: ExchangeKey, remoteAddress: string): boolean {
  return !key.permissions.ipRestricted || key.ips.has(normalizeAddress(remoteAddress));
}

/**
 * Lowercases an address and reads an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a
 * dual-stack socket reports) as its IPv4 address, so that either spelling matches the other.
 */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  return mapped?.[1] ?? lower;
}

/** 64 characters of [A-Za-z0-9], uniformly drawn (bytes >= 248 are redrawn: 248 = 4 * 62). */
function randomCredential(): string {
  let out = '';
  while (out.length < CREDENTIAL_LENGTH) {
    for (const byte of randomBytes(CREDENTIAL_LENGTH)) {
      if (byte < 248 && out.length < CREDENTIAL_LENGTH) out += ALPHABET[byte % ALPHABET.length];
    }
  }
  return out;
}
