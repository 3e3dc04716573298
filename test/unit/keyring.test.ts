import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyCrypto } from '../../src/keys/crypto.js';
import {
  createEnvelopeCipher,
  deriveKeys,
  EnvelopeError,
  type KeyringVersion,
} from '../../src/keys/keyring.js';

const v1: KeyringVersion = { version: 'v1', secret: Buffer.alloc(32, 1) };
const v2: KeyringVersion = { version: 'v2', secret: Buffer.alloc(32, 2) };
const envelopes = (...ring: KeyringVersion[]) => createEnvelopeCipher(ring.map(deriveKeys));

/** Flips one bit of the part `index` of a sealed value. */
function flip(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[bytes.length >> 1]! ^= 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('envelope encryption', () => {
  const secret = Buffer.from('exchange api secret 0123456789');
  const context = 'exchange-account:user-1:xa_1';

  it('opens what it sealed, with a fresh data key each time', () => {
    const cipher = envelopes(v1);
    const a = cipher.seal(secret, context);
    const b = cipher.seal(secret, context);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret.toString('base64url'));
    expect(cipher.open(a, context).equals(secret)).toBe(true);
    expect(cipher.versionOf(a)).toBe('v1');
  });

  it('refuses a record moved to another owner or record, and any tampered part', () => {
    const cipher = envelopes(v1);
    const sealed = cipher.seal(secret, context);
    expect(() => cipher.open(sealed, 'exchange-account:user-2:xa_1')).toThrow(EnvelopeError);
    expect(() => cipher.open(sealed, 'exchange-account:user-1:xa_2')).toThrow(EnvelopeError);
    for (const part of [2, 3]) expect(() => cipher.open(flip(sealed, part), context)).toThrow(EnvelopeError);
    // A data key wrapped for another record cannot be spliced in either.
    const other = cipher.seal(secret, 'exchange-account:user-2:xa_9').split('.');
    const spliced = [...sealed.split('.').slice(0, 2), other[2], sealed.split('.')[3]].join('.');
    expect(() => cipher.open(spliced, context)).toThrow(EnvelopeError);
    expect(() => cipher.open('garbage', context)).toThrow(EnvelopeError);
  });

  it('rewraps to the active KEK without touching the ciphertext; the old KEK can then go', () => {
    const old = envelopes(v1).seal(secret, context);
    const rotated = envelopes(v2, v1);
    expect(rotated.open(old, context).equals(secret)).toBe(true);
    const moved = rotated.rewrap(old, context);
    expect(rotated.versionOf(moved)).toBe('v2');
    expect(moved.split('.')[3]).toBe(old.split('.')[3]);
    expect(rotated.rewrap(moved, context)).toBe(moved);
    expect(envelopes(v2).open(moved, context).equals(secret)).toBe(true);
    // Without v1 the old envelope does not open, and says why.
    expect(() => envelopes(v2).open(old, context)).toThrow(/key version v1, which the keyring does not hold/);
    // Mid-rollout, an instance that still has v1 active (v2 staged second) never moves v2 back.
    const staged = envelopes(v1, v2);
    expect(staged.open(moved, context).equals(secret)).toBe(true);
    expect(staged.rewrap(moved, context)).toBe(moved);
    expect(createKeyCrypto([v1, v2]).isCurrent(createKeyCrypto([v2]).hashKey('k'))).toBe(true);
    // A rewrap checks the record's binding first.
    expect(() => rotated.rewrap(old, 'exchange-account:user-2:xa_1')).toThrow(EnvelopeError);
  });
});

describe('API key crypto on a keyring', () => {
  const key = 'sy_test_0123456789abcdef_secretpart';

  it('hashes under the active pepper with its version, and verifies older versions', () => {
    const old = createKeyCrypto([v1]);
    const rotated = createKeyCrypto([v2, v1]);
    const oldHash = old.hashKey(key);
    expect(oldHash).toMatch(/^v1:[0-9a-f]{64}$/);
    expect(rotated.matches(key, oldHash)).toBe(true);
    expect(rotated.isCurrent(oldHash)).toBe(false);
    const newHash = rotated.hashKey(key);
    expect(newHash).toMatch(/^v2:/);
    expect(rotated.isCurrent(newHash)).toBe(true);
    expect(rotated.matches(`${key}x`, newHash)).toBe(false);
    expect(createKeyCrypto([v2]).matches(key, oldHash)).toBe(false);
    expect(rotated.matches(key, `v9:${'0'.repeat(64)}`)).toBe(false);
  });

  it('reads what the gateway wrote before the ring: bare hashes and v1.… sealed secrets', () => {
    // The formats of the single KEYS_ENCRYPTION_KEY, made here the way they were made then.
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', v1.secret, Buffer.alloc(0), info, 32));
    const bareHash = createHmac('sha256', derive('switchyard/api-key-hash/v1')).update(key).digest('hex');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', derive('switchyard/signing-secret-box/v1'), iv);
    const signingSecret = randomBytes(32);
    const ciphertext = Buffer.concat([cipher.update(signingSecret), cipher.final()]);
    const legacySealed = ['v1', iv, cipher.getAuthTag(), ciphertext]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');

    const rotated = createKeyCrypto([v2, v1]);
    expect(rotated.matches(key, bareHash)).toBe(true);
    expect(rotated.isCurrent(bareHash)).toBe(false);
    expect(rotated.open(legacySealed).equals(signingSecret)).toBe(true);
    expect(rotated.isCurrent(legacySealed)).toBe(false);
    const resealed = rotated.reseal(legacySealed);
    expect(rotated.isCurrent(resealed)).toBe(true);
    expect(createKeyCrypto([v2]).open(resealed).equals(signingSecret)).toBe(true);
  });
});
