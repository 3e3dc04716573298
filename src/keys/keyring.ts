/**
 * The key-encryption keyring (KEYS_ENCRYPTION_KEYS="v2:…,v1:…", the first active; the older
 * KEYS_ENCRYPTION_KEY is the one-key ring "v1:…") and the envelope encryption built on it.
 *
 * Envelope encryption: every record is encrypted (AES-256-GCM) under a data key of its own, drawn
 * at random; the data key is stored wrapped (AES-256-GCM again) by a key-encryption key (KEK)
 * derived from one version of the ring. Retiring a KEK means re-wrapping the data keys — a few
 * bytes per record — never re-encrypting the records, and never while a record is readable in
 * clear anywhere but the process that uses it.
 *
 * Both layers authenticate a context string (AAD) that the caller derives from the record's
 * owner and identity (`exchange-account:<owner>:<id>`): a sealed value copied to another record or
 * another owner fails to open, loudly, instead of decrypting to someone else's secret.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/** One version of the ring: its name (`v2`) and its 32-byte secret. */
export interface KeyringVersion {
  readonly version: string;
  readonly secret: Buffer;
}

/**
 * What a version's name may be: `v` and a number, written into every hash and envelope made with
 * it. The number orders versions: secrets move forward to the active version, never back, so an
 * instance that still has an older version active (mid-rollout) does not undo another's work.
 */
const VERSION_NAME = /^v([1-9]\d{0,5})$/;

/** Whether version `a` is older than `b` (v1 < v2 < v10). */
export function isOlderVersion(a: string, b: string): boolean {
  return Number(VERSION_NAME.exec(a)?.[1] ?? 0) < Number(VERSION_NAME.exec(b)?.[1] ?? 0);
}

/** The version name KEYS_ENCRYPTION_KEY stands for: keep it when moving to KEYS_ENCRYPTION_KEYS. */
export const SINGLE_KEY_VERSION = 'v1';

/** Parses one key: 32 bytes as 64 hex characters or base64/base64url. */
export function parseEncryptionKey(value: string): Buffer {
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32) throw new Error('must be 32 bytes, as 64 hex characters or base64');
  return bytes;
}

/**
 * Parses KEYS_ENCRYPTION_KEYS: `version:key,version:key,…`, the first active, names unique. Throws
 * a message that never quotes a key.
 */
export function parseKeyring(value: string): KeyringVersion[] {
  const entries = value.split(',').map((entry) => entry.trim());
  const ring = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const version = colon > 0 ? entry.slice(0, colon) : '';
    if (!VERSION_NAME.test(version))
      throw new Error(`entry ${index + 1}: must be version:key, the version v and a number (v2:…)`);
    try {
      return { version, secret: parseEncryptionKey(entry.slice(colon + 1)) };
    } catch (err) {
      throw new Error(`entry ${index + 1} (${version}): ${(err as Error).message}`);
    }
  });
  const seen = new Set<string>();
  for (const { version } of ring) {
    if (seen.has(version)) throw new Error(`version ${version} appears twice`);
    seen.add(version);
  }
  return ring;
}

/** What one version derives: each purpose its own key (HKDF), so one secret never serves two algorithms. */
export interface DerivedKeys {
  readonly version: string;
  /**
   * Pepper of the API-key hash (HMAC-SHA256), as a KeyObject: a raw Buffer is re-imported by every
   * createHmac (the profile of a small request showed ~2% of its CPU there).
   */
  readonly pepper: KeyObject;
  /** Wraps data keys (envelope encryption). */
  readonly kek: Buffer;
  /** The box of the first format of sealed signing secrets (`v1.…`): read, never written. */
  readonly legacyBox: Buffer;
}

export function deriveKeys({ version, secret }: KeyringVersion): DerivedKeys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
  return {
    version,
    // Same info as before the ring existed: hashes made under KEYS_ENCRYPTION_KEY still verify.
    pepper: createSecretKey(derive('switchyard/api-key-hash/v1')),
    kek: derive('switchyard/key-encryption-key/v1'),
    legacyBox: derive('switchyard/signing-secret-box/v1'),
  };
}

/** Envelope encryption under a keyring. */
export interface EnvelopeCipher {
  /** The version new envelopes are wrapped with (the ring's first). */
  readonly activeVersion: string;
  /** Encrypts under a fresh data key wrapped by the active KEK; `context` is authenticated, not stored. */
  seal(plaintext: Uint8Array, context: string): string;
  /** Decrypts; throws when tampered with, bound to another context, or wrapped by a KEK not in the ring. */
  open(sealed: string, context: string): Buffer;
  /**
   * The same ciphertext with its data key re-wrapped by the active KEK; unchanged when it is wrapped
   * by the active version or a newer one (an instance mid-rollout never moves a record back).
   */
  rewrap(sealed: string, context: string): string;
  /** The KEK version an envelope is wrapped with; throws when it is not an envelope. */
  versionOf(sealed: string): string;
}

/** The envelope's format tag: `sy1.<kek version>.<wrapped data key>.<ciphertext>` (base64url parts). */
const ENVELOPE = 'sy1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM: iv ‖ ciphertext ‖ tag, with `aad` authenticated. */
function gcmEncrypt(key: Buffer, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function gcmDecrypt(key: Buffer, box: Buffer, aad: string): Buffer {
  if (box.length < IV_BYTES + TAG_BYTES) throw new EnvelopeError('envelope truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(0, IV_BYTES)).setAAD(Buffer.from(aad));
  decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new EnvelopeError('envelope does not authenticate (tampered with, or bound to another record)');
  }
}

/** A sealed value that cannot be opened: never decrypts to garbage, always says so. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

export function createEnvelopeCipher(ring: readonly DerivedKeys[]): EnvelopeCipher {
  const active = ring[0];
  if (!active) throw new Error('the keyring is empty');
  const byVersion = new Map(ring.map((keys) => [keys.version, keys]));
  // The data key's wrap authenticates the KEK version and the record's context too.
  const wrapAad = (version: string, context: string) => `switchyard/wrap/v1\n${version}\n${context}`;
  const dataAad = (context: string) => `switchyard/envelope/v1\n${context}`;

  function parse(sealed: string) {
    const [tag, version, wrapped, box, extra] = sealed.split('.');
    if (tag !== ENVELOPE || !version || !wrapped || !box || extra !== undefined)
      throw new EnvelopeError('not an envelope');
    return { version, wrapped: Buffer.from(wrapped, 'base64url'), box };
  }
  function unwrap(version: string, wrapped: Buffer, context: string): Buffer {
    const keys = byVersion.get(version);
    if (!keys) throw new EnvelopeError(`wrapped by key version ${version}, which the keyring does not hold`);
    return gcmDecrypt(keys.kek, wrapped, wrapAad(version, context));
  }
  /** Runs `use` with the envelope's unwrapped data key, wiped after. */
  function withDataKey<T>(
    sealed: string,
    context: string,
    use: (dataKey: Buffer, box: Buffer, version: string) => T,
  ): T {
    const { version, wrapped, box } = parse(sealed);
    const dataKey = unwrap(version, wrapped, context);
    try {
      return use(dataKey, Buffer.from(box, 'base64url'), version);
    } finally {
      dataKey.fill(0);
    }
  }
  const wrap = (dataKey: Buffer, context: string) =>
    gcmEncrypt(active.kek, dataKey, wrapAad(active.version, context)).toString('base64url');

  return {
    activeVersion: active.version,
    seal(plaintext, context) {
      const dataKey = randomBytes(32);
      try {
        const box = gcmEncrypt(dataKey, plaintext, dataAad(context)).toString('base64url');
        return [ENVELOPE, active.version, wrap(dataKey, context), box].join('.');
      } finally {
        dataKey.fill(0);
      }
    },
    open(sealed, context) {
      return withDataKey(sealed, context, (dataKey, box) => gcmDecrypt(dataKey, box, dataAad(context)));
    },
    rewrap(sealed, context) {
      return withDataKey(sealed, context, (dataKey, box, version) => {
        // Proves the ciphertext belongs to this data key and context before it is re-wrapped.
        gcmDecrypt(dataKey, box, dataAad(context)).fill(0);
        if (!isOlderVersion(version, active.version)) return sealed;
        return [ENVELOPE, active.version, wrap(dataKey, context), box.toString('base64url')].join('.');
      });
    },
    versionOf(sealed) {
      return parse(sealed).version;
    },
  };
}
