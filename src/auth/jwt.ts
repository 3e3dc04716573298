/**
 * JWT bearer verification with jose against a JWKS (URL or file). The key set is cached; an
 * unknown `kid` refetches at most once per cooldown (a freshly rotated IdP key works at once,
 * garbage kids cannot hammer the IdP); after `maxAgeMs` the set refreshes in the background, and
 * when the IdP is unreachable the last good set keeps serving for `maxStaleMs`, then verification
 * fails closed (503) rather than trusting keys nobody can confirm.
 */
import {
  createLocalJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { gatewayError } from '../errors.js';
import type { Principal } from './principal.js';

/** Asymmetric algorithms only: no `none`, no HS* (a public key must never be usable as an HMAC secret). */
export const DEFAULT_JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
];

/**
 * `typ` values of an access token (RFC 9068 `at+jwt`, plain `JWT`), compared case-insensitively
 * without the optional `application/` prefix (RFC 7515 §4.1.9). Absent is accepted too: most IdPs
 * omit it. Anything else is a token minted for another purpose (a logout token, an ID token typed
 * as such, a DPoP proof), which RFC 8725 §3.11 says must not be accepted here.
 */
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set(['jwt', 'at+jwt']);

export interface JwtVerifierOptions {
  /** Where the key set comes from: fetched from a URL, or given once (JWT_JWKS_FILE, read by main). */
  jwks: { url: string } | { keys: JSONWebKeySet };
  /** Required `iss`. No default: accepting any issuer would accept any IdP's tokens. */
  issuer: string;
  /** Required `aud`. No default: tokens minted for another API must not work here. */
  audience: string;
  /** @default DEFAULT_JWT_ALGORITHMS */
  algorithms?: string[];
  /** Clock skew allowed on exp/nbf/iat, in seconds. @default 5 */
  clockToleranceSec?: number;
  /** Minimum time between two JWKS fetches caused by unknown kids, in ms. @default 30000 */
  cooldownMs?: number;
  /** Age after which the set is refreshed in the background, in ms. @default 600000 */
  maxAgeMs?: number;
  /** Age up to which the last good set serves while the IdP is unreachable, in ms. @default 3600000 */
  maxStaleMs?: number;
  /** @default 3000 */
  fetchTimeoutMs?: number;
  /** Called after every JWKS fetch attempt (metrics, tests). */
  onFetch?: (outcome: 'ok' | 'error') => void;
  now?: () => number;
}

export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}

export function createJwtVerifier({
  jwks,
  issuer,
  audience,
  algorithms = DEFAULT_JWT_ALGORITHMS,
  clockToleranceSec = 5,
  cooldownMs = 30_000,
  maxAgeMs = 600_000,
  maxStaleMs = 3_600_000,
  fetchTimeoutMs = 3000,
  onFetch,
  now = Date.now,
}: JwtVerifierOptions): JwtVerifier {
  if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) {
    throw new Error('JWT algorithms must be asymmetric (no none, no HS*)');
  }
  let keySet = 'keys' in jwks ? createLocalJWKSet(jwks.keys) : null;
  let fetchedAt = 'keys' in jwks ? Number.POSITIVE_INFINITY : 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  // Only refetches caused by unknown kids count towards their cooldown: the start-up fetch and the
  // background refresh do not, so an IdP that rotates right after start is picked up at once.
  let lastUnknownKidRefetchAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | null = null;

  function refresh(): Promise<void> {
    if (!('url' in jwks)) return Promise.resolve();
    inflight ??= (async () => {
      lastAttemptAt = now();
      try {
        const response = await fetch(jwks.url, {
          signal: AbortSignal.timeout(fetchTimeoutMs),
          headers: { accept: 'application/json' },
        });
        if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
        const body = (await response.json()) as JSONWebKeySet;
        if (!Array.isArray(body?.keys)) throw new Error('JWKS has no keys array');
        keySet = createLocalJWKSet(body);
        fetchedAt = now();
        onFetch?.('ok');
      } catch (err) {
        onFetch?.('error');
        throw err;
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  }

  async function currentKeySet(): Promise<NonNullable<typeof keySet>> {
    const age = now() - fetchedAt;
    if (!keySet || age > maxStaleMs) {
      try {
        await refresh();
      } catch {
        throw gatewayError(
          'SERVICE_UNAVAILABLE',
          'Tokens cannot be verified right now; retry shortly.',
          undefined,
          { http: true },
        );
      }
    } else if (age > maxAgeMs && now() - lastAttemptAt > cooldownMs) {
      refresh().catch(() => {}); // keep serving the set we have; the next attempt waits out the cooldown
    }
    return keySet!;
  }

  const getKey: Parameters<typeof jwtVerify>[1] = async (header, token) => {
    const local = await currentKeySet();
    try {
      return await local(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || now() - lastUnknownKidRefetchAt < cooldownMs)
        throw err;
      lastUnknownKidRefetchAt = now();
      await refresh().catch(() => {});
      return keySet!(header, token);
    }
  };

  return {
    async verify(token) {
      let payload: JWTPayload;
      let protectedHeader: JWTHeaderParameters;
      try {
        ({ payload, protectedHeader } = await jwtVerify(token, getKey, {
          issuer,
          audience,
          algorithms,
          clockTolerance: clockToleranceSec,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        if ((err as { extensions?: unknown }).extensions) throw err; // already a catalogue error (503)
        throw gatewayError('UNAUTHENTICATED', tokenProblem(err), undefined, { http: true });
      }
      if (!isAccessTokenType(protectedHeader.typ)) {
        throw gatewayError(
          'UNAUTHENTICATED',
          `The bearer token is not an access token (typ ${shown(protectedHeader.typ)}).`,
          undefined,
          { http: true },
        );
      }
      return principalOf(payload);
    },
  };
}

function isAccessTokenType(typ: unknown): boolean {
  if (typ === undefined) return true;
  return typeof typ === 'string' && ACCESS_TOKEN_TYPES.has(typ.toLowerCase().replace(/^application\//, ''));
}

/** A header value quoted in an error: printable ASCII only, at most 40 characters, strings only. */
function shown(value: unknown): string {
  if (typeof value !== 'string') return `is a ${Array.isArray(value) ? 'list' : typeof value}, not a string`;
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 40 ? `${printable.slice(0, 40)}…` : printable);
}

/** A message that tells the caller what is wrong with the token, without echoing it. */
function tokenProblem(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The bearer token has expired.';
  if (err instanceof errors.JWTClaimValidationFailed)
    return `The bearer token's "${err.claim}" claim is not valid here.`;
  if (err instanceof errors.JOSEAlgNotAllowed)
    return 'The bearer token is signed with an algorithm that is not accepted.';
  if (err instanceof errors.JWKSNoMatchingKey) return 'The bearer token is signed with an unknown key.';
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return 'The bearer token signature does not verify.';
  return 'The bearer token is not a valid JWT.';
}

function principalOf(payload: JWTPayload): Principal {
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : scpClaim(payload.scp);
  const sub = payload.sub!;
  const azp =
    typeof payload.azp === 'string'
      ? payload.azp
      : typeof payload.client_id === 'string'
        ? payload.client_id
        : sub;
  return {
    userId: sub,
    clientId: azp,
    via: 'jwt',
    scopes: new Set(scopes.filter(Boolean)),
    plan: typeof payload.plan === 'string' ? payload.plan : 'free',
    ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
  };
}

function scpClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  return typeof value === 'string' ? value.split(' ') : [];
}
