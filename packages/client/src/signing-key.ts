/**
 * Signing credentials on WebCrypto: Ed25519 (PKCS#8 DER/PEM, JWK, raw 32-byte seed or CryptoKey)
 * and HMAC-SHA256 (the base64 secret registered on the key, bytes or CryptoKey). Keys are imported
 * once, lazily, so creating a client is synchronous. Any object with `keyId`, `algorithm` and
 * `sign` is a signing key too (a hardware key, a React Native native module).
 */
import { bufferOf, fromBase64, toBase64 } from './encoding.js';
import { type WebCrypto, webCrypto } from './webcrypto.js';

/** A signing credential: the id of the API key that carries it, and a way to sign a signature base. */
export interface SigningKey {
  /** The key id (the part after `sy_live_` / `sy_test_`) of the API key whose credential this is. */
  readonly keyId: string;
  readonly algorithm: 'ed25519' | 'hmac-sha256';
  /** Signs the UTF-8 bytes of a signature base. */
  sign(base: Uint8Array): Promise<Uint8Array>;
}

/** Node's KeyObject, structurally (so the SDK names no Node type): exported as PKCS#8 DER. */
export interface ExportableKey {
  export(options: { format: 'der'; type: 'pkcs8' }): Uint8Array;
}

/** An Ed25519 private key in any of the forms people hold one. */
export type Ed25519PrivateKey = string | Uint8Array | JsonWebKey | CryptoKey | ExportableKey;

// PKCS#8 prefix of an Ed25519 private key: the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

function pemBody(text: string): string {
  return text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '');
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return (
    typeof value === 'object' &&
    value !== null &&
    'algorithm' in value &&
    'usages' in value &&
    'type' in value
  );
}

function isExportable(value: unknown): value is ExportableKey {
  return typeof value === 'object' && value !== null && typeof (value as ExportableKey).export === 'function';
}

async function importEd25519(key: Ed25519PrivateKey, crypto: WebCrypto): Promise<CryptoKey> {
  if (isCryptoKey(key)) return key;
  const algorithm = { name: 'Ed25519' };
  if (isExportable(key)) key = new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
  if (typeof key === 'object' && !(key instanceof Uint8Array) && !isExportable(key))
    return crypto.subtle.importKey('jwk', key, algorithm, false, ['sign']);
  let der = typeof key === 'string' ? fromBase64(pemBody(key)) : (key as Uint8Array);
  if (der.length === 32) der = new Uint8Array([...ED25519_PKCS8_PREFIX, ...der]);
  return crypto.subtle.importKey('pkcs8', bufferOf(der), algorithm, false, ['sign']);
}

/** Memoises a key import: the first signature imports, later ones reuse (a failed import is retried). */
function lazily(load: () => Promise<CryptoKey>): () => Promise<CryptoKey> {
  let pending: Promise<CryptoKey> | undefined;
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/** An Ed25519 signing key: PKCS#8 (PEM, or DER as base64 or bytes), a JWK, the raw 32-byte seed, a CryptoKey or a Node KeyObject. */
export function ed25519SigningKey(
  keyId: string,
  privateKey: Ed25519PrivateKey,
  crypto?: WebCrypto,
): SigningKey {
  const key = lazily(() => importEd25519(privateKey, webCrypto(crypto)));
  return {
    keyId,
    algorithm: 'ed25519',
    async sign(base) {
      const signature = await webCrypto(crypto).subtle.sign({ name: 'Ed25519' }, await key(), bufferOf(base));
      return new Uint8Array(signature);
    },
  };
}

/** An HMAC-SHA256 signing key: the secret registered on the API key (base64, as given to the gateway), its bytes, or a CryptoKey. */
export function hmacSigningKey(
  keyId: string,
  secret: string | Uint8Array | CryptoKey,
  crypto?: WebCrypto,
): SigningKey {
  const key = lazily(async () => {
    if (isCryptoKey(secret)) return secret;
    const bytes = typeof secret === 'string' ? fromBase64(secret) : secret;
    return webCrypto(crypto).subtle.importKey(
      'raw',
      bufferOf(bytes),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  });
  return {
    keyId,
    algorithm: 'hmac-sha256',
    async sign(base) {
      return new Uint8Array(await webCrypto(crypto).subtle.sign('HMAC', await key(), bufferOf(base)));
    },
  };
}

/** A new Ed25519 key pair: register `publicKey` (SPKI DER, base64) on an API key, keep `privateKey` (PKCS#8 DER, base64) secret. */
export async function generateEd25519KeyPair(
  crypto?: WebCrypto,
): Promise<{ publicKey: string; privateKey: string }> {
  const subtle = webCrypto(crypto).subtle;
  const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const [spki, pkcs8] = await Promise.all([
    subtle.exportKey('spki', pair.publicKey),
    subtle.exportKey('pkcs8', pair.privateKey),
  ]);
  return { publicKey: toBase64(new Uint8Array(spki)), privateKey: toBase64(new Uint8Array(pkcs8)) };
}
