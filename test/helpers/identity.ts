/**
 * Who a black-box request acts as: the one place e2e tests get their credentials.
 *
 * - `provisionSigningIdentity`: each sandbox user gets an API key with an Ed25519 signing
 *   credential, created the way an operator would (the key CLI, src/cli/keys.ts, as a separate
 *   process on the gateways' Redis); requests carry the key, mutations an RFC 9421 signature made
 *   with the client SDK (src/client/sign.ts). What the multi-process e2e test uses.
 * - `startBlackBoxIdentity`: a test identity provider (test/helpers/idp.ts, a JWKS on port 0) and
 *   bearer JWTs, which separate gateway processes verify as they would a real IdP's (reads only:
 *   a JWT cannot sign mutations).
 *
 * When identity changes, change this file and every e2e test follows.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { ed25519SigningKey, type SigningKey, signRequest } from '../../src/client/sign.js';
import { startTestIdp } from './idp.js';

const run = promisify(execFile);

/** The sandbox users and the scopes their screens need (user-2 only reads). */
const USER_SCOPES = {
  'user-1': ['market:read', 'portfolio:read', 'trade:write'],
  'user-2': ['market:read', 'portfolio:read'],
} as const;

export type SandboxUser = keyof typeof USER_SCOPES;

/** The request a user sends, for signing. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly contentType: string;
  /** Mutations must be signed; queries are not. */
  readonly signed: boolean;
}

export interface SigningIdentity {
  /** Headers that make `request` act for `user`. */
  headers(user: SandboxUser, request: OutgoingRequest): Record<string, string>;
}

/**
 * Creates the users' keys through the operator CLI with `gatewayEnv` (the gateways' REDIS_URL,
 * KEYS_ENCRYPTION_KEY, REDIS_KEY_PREFIX…), so every gateway sharing that Redis accepts them.
 */
export async function provisionSigningIdentity(
  gatewayEnv: Record<string, string>,
  cwd: string,
): Promise<SigningIdentity> {
  const credentials = new Map<SandboxUser, { key: string; signing: SigningKey }>();
  for (const [user, scopes] of Object.entries(USER_SCOPES) as [SandboxUser, readonly string[]][]) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/keys.ts',
        'create',
        ...['--client', user, '--name', 'e2e', '--scopes', scopes.join(','), '--expires-days', '1'],
        ...['--ed25519-public-key', spki, '--json'],
        // The CLI asks for the key environment in production; elsewhere it makes test keys, as the gateways take.
        ...(gatewayEnv.NODE_ENV === 'production' ? ['--live'] : []),
      ],
      { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...gatewayEnv } },
    );
    const created = JSON.parse(stdout) as { key: string; apiKey: { keyId: string } };
    credentials.set(user, { key: created.key, signing: ed25519SigningKey(created.apiKey.keyId, privateKey) });
  }
  return {
    headers(user, request) {
      const credential = credentials.get(user)!;
      const headers: Record<string, string> = { 'x-api-key': credential.key };
      if (!request.signed) return headers;
      return {
        ...headers,
        ...signRequest({
          method: request.method,
          url: request.url,
          body: Buffer.from(request.body),
          contentType: request.contentType,
          key: credential.signing,
          created: Math.floor(Date.now() / 1000),
        }),
      };
    },
  };
}

export interface BlackBoxIdentity {
  /** Gateway environment (JWT_*) that makes the gateway trust these credentials. */
  readonly gatewayEnv: Record<string, string>;
  /** Request headers that act for `user` (bearer JWT with the user's scopes). */
  headers(user: SandboxUser): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Starts the identity provider the gateways are pointed at (JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE). */
export async function startBlackBoxIdentity(): Promise<BlackBoxIdentity> {
  const idp = await startTestIdp({ alg: 'ES256' });
  return {
    gatewayEnv: { JWT_JWKS_URL: idp.jwksUrl, JWT_ISSUER: idp.issuer, JWT_AUDIENCE: idp.audience },
    async headers(user) {
      return {
        authorization: `Bearer ${await idp.token({ sub: user, scope: USER_SCOPES[user].join(' ') })}`,
      };
    },
    close: () => idp.close(),
  };
}
