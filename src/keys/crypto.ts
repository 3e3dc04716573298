/**
 * What API keys need of the keyring (keyring.ts): the keyed hash of a presented key (HMAC-SHA256
 * under the pepper of a ring version) and the box of HMAC signing secrets at rest (an envelope).
 *
 * Hashes record the pepper's version (`v2:<hex>`), so a rotated ring still verifies keys hashed
 * under an older version; `isCurrent` tells the caller to re-hash on the key's next use (the only
 * moment the key itself is at hand). Hashes from before the ring (bare hex) and sealed secrets of
 * the first format (`v1.<iv>.<tag>.<ct>`) are still read, by every version of the ring.
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import {
  createEnvelopeCipher,
  type DerivedKeys,
  deriveKeys,
  type EnvelopeCipher,
  isOlderVersion,
  type KeyringVersion,
  SINGLE_KEY_VERSION,
} from './keyring.js';

export { parseEncryptionKey } from './keyring.js';

export interface KeyCrypto {
  /** Keyed hash of a presented API key under the active pepper: `<version>:<hex>`. */
  hashKey(key: string): string;
  /** Constant-time comparison of a presented key with a stored hash of any version of the ring. */
  matches(key: string, storedHash: string): boolean;
  /**
   * Whether a stored hash or sealed secret needs nothing: under the active version or a newer one
   * (else it moves forward: re-hash on next use, re-seal on rewrap; never back).
   */
  isCurrent(stored: string): boolean;
  /** Encrypts a signing secret for storage (an envelope under the active KEK). */
  seal(secret: Uint8Array): string;
  /** Decrypts what seal produced; throws when tampered with or sealed under a key not in the ring. */
  open(sealed: string): Buffer;
  /** The same secret, sealed under the active KEK (unchanged when it already is). */
  reseal(sealed: string): string;
  /** The ring's envelope encryption, for other records (linked exchange keys). */
  readonly envelopes: EnvelopeCipher;
}

/** The context every sealed signing secret is bound to. */
const SIGNING_SECRET_CONTEXT = 'api-key-signing-secret';
const VERSIONED_HASH = /^(v\d{1,6}):([0-9a-f]{64})$/;
const LEGACY_HASH = /^[0-9a-f]{64}$/;

/** The key crypto of a keyring (the first version active), or of one key (the ring `v1:<key>`). */
export function createKeyCrypto(ring: readonly KeyringVersion[] | Uint8Array): KeyCrypto {
  const versions: readonly KeyringVersion[] =
    ring instanceof Uint8Array ? [{ version: SINGLE_KEY_VERSION, secret: Buffer.from(ring) }] : ring;
  const derived = versions.map(deriveKeys);
  const active = derived[0];
  if (!active) throw new Error('the keyring is empty');
  const byVersion = new Map(derived.map((keys) => [keys.version, keys]));
  const envelopes = createEnvelopeCipher(derived);
  const hmac = (keys: DerivedKeys, key: string) => createHmac('sha256', keys.pepper).update(key).digest();
  const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

  function openLegacy(sealed: string): Buffer {
    const [, iv, tag, ciphertext] = sealed.split('.');
    if (!iv || !tag || ciphertext === undefined) throw new Error('unknown sealed secret format');
    for (const keys of derived) {
      const decipher = createDecipheriv('aes-256-gcm', keys.legacyBox, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
      } catch {
        // sealed under another version: try the next
      }
    }
    throw new Error('sealed secret does not open under any version of the keyring');
  }
  const open = (sealed: string) =>
    sealed.startsWith('v1.') ? openLegacy(sealed) : envelopes.open(sealed, SIGNING_SECRET_CONTEXT);

  return {
    envelopes,
    hashKey: (key) => `${active.version}:${hmac(active, key).toString('hex')}`,
    matches(key, storedHash) {
      const versioned = VERSIONED_HASH.exec(storedHash);
      if (versioned) {
        const keys = byVersion.get(versioned[1]!);
        return keys !== undefined && same(hmac(keys, key), Buffer.from(versioned[2]!, 'hex'));
      }
      if (!LEGACY_HASH.test(storedHash)) return false;
      // Made before the ring recorded versions: any version may have made it (at most a few HMACs).
      const stored = Buffer.from(storedHash, 'hex');
      let found = false;
      for (const keys of derived) found = same(hmac(keys, key), stored) || found;
      return found;
    },
    isCurrent(stored) {
      if (stored.startsWith('v1.') || LEGACY_HASH.test(stored)) return false;
      const versioned = VERSIONED_HASH.exec(stored);
      const version = versioned ? versioned[1]! : envelopes.versionOf(stored);
      return !isOlderVersion(version, active.version);
    },
    seal: (secret) => envelopes.seal(secret, SIGNING_SECRET_CONTEXT),
    open,
    reseal(sealed) {
      if (!sealed.startsWith('v1.')) return envelopes.rewrap(sealed, SIGNING_SECRET_CONTEXT);
      const secret = open(sealed);
      try {
        return envelopes.seal(secret, SIGNING_SECRET_CONTEXT);
      } finally {
        secret.fill(0);
      }
    },
  };
}
