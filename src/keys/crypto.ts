/**
 * Key material derived from KEYS_ENCRYPTION_KEY: the pepper of the API-key hash (HMAC-SHA256) and
 * the AES-256-GCM box that keeps HMAC signing secrets encrypted at rest. HKDF gives each purpose
 * its own key, so one configured secret never serves two algorithms.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

export interface KeyCrypto {
  /** Keyed hash of a presented API key, hex. */
  hashKey(key: string): string;
  /** Constant-time comparison of a presented key with a stored hash. */
  matches(key: string, storedHash: string): boolean;
  /** Encrypts a secret for storage: `v1.<iv>.<tag>.<ciphertext>` (base64url). */
  seal(secret: Uint8Array): string;
  /** Decrypts what seal produced; throws when tampered with or sealed under another key. */
  open(sealed: string): Buffer;
}

/** Parses KEYS_ENCRYPTION_KEY: 32 bytes as base64, base64url or hex. */
export function parseEncryptionKey(value: string): Buffer {
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32) throw new Error('must be 32 bytes, as 64 hex characters or base64');
  return bytes;
}

export function createKeyCrypto(masterKey: Uint8Array): KeyCrypto {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
  const pepper = derive('switchyard/api-key-hash/v1');
  const boxKey = derive('switchyard/signing-secret-box/v1');
  const hashKey = (key: string) => createHmac('sha256', pepper).update(key).digest('hex');
  return {
    hashKey,
    matches(key, storedHash) {
      const presented = Buffer.from(hashKey(key), 'hex');
      const stored = Buffer.from(storedHash, 'hex');
      return presented.length === stored.length && timingSafeEqual(presented, stored);
    },
    seal(secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', boxKey, iv);
      const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), ciphertext]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || ciphertext === undefined)
        throw new Error('unknown sealed secret format');
      const decipher = createDecipheriv('aes-256-gcm', boxKey, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    },
  };
}
