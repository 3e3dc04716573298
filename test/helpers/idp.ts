/** A tiny identity provider for tests: a JWKS endpoint on port 0 that counts fetches, and token minting. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface TestIdp {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  /** JWKS requests served so far. */
  fetches(): number;
  /** Adds a signing key to the published set (an IdP rotation) and makes it current. */
  rotate(): Promise<string>;
  /** Signs a token with the current key (or the one named), with sane defaults for iss/aud/exp. */
  token(
    claims?: JWTPayload,
    options?: { kid?: string; header?: Record<string, unknown>; alg?: string },
  ): Promise<string>;
  /** The current public key as PEM (for the HS256-with-public-key attack). */
  publicPem(): string;
  close(): Promise<void>;
}

export async function startTestIdp({ alg = 'RS256' } = {}): Promise<TestIdp> {
  const keys: { kid: string; privateKey: CryptoKey; publicJwk: JWK; publicPem: string }[] = [];
  let fetches = 0;
  async function rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `kid-${keys.length + 1}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    const spki = Buffer.from(await globalThis.crypto.subtle.exportKey('spki', publicKey)).toString('base64');
    keys.push({
      kid,
      privateKey,
      publicJwk,
      publicPem: `-----BEGIN PUBLIC KEY-----\n${spki.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`,
    });
    return kid;
  }
  await rotate();
  const server: Server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = 'https://idp.test/';
  const audience = 'switchyard-api';
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    fetches: () => fetches,
    rotate,
    async token(claims = {}, options = {}) {
      const key = options.kid ? keys.find((k) => k.kid === options.kid) : keys.at(-1);
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sub: 'user-1', scope: 'market:read portfolio:read', ...claims })
        .setProtectedHeader({
          alg: options.alg ?? alg,
          kid: options.kid ?? key?.kid ?? 'none',
          ...options.header,
        })
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
        .setAudience((claims.aud as string | undefined) ?? audience)
        .setIssuedAt(now)
        .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : now + 300)
        .sign(key!.privateKey);
    },
    publicPem: () => keys.at(-1)!.publicPem,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
