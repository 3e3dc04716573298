/**
 * A key's optional signing credential for signed mutations (RFC 9421): what a creator may give,
 * the form it is stored in (an Ed25519 public key as SPKI DER; an HMAC secret sealed under
 * KEYS_ENCRYPTION_KEY), and the verifier built from the stored form.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { gatewayError } from '../errors.js';
import { ed25519Key, hmacSha256Key, type VerificationKey } from '../signing/verify.js';
import type { KeyCrypto } from './crypto.js';
import type { SigningCredential } from './types.js';

/** Ed25519 public key (SPKI DER or raw 32 bytes, base64), or an HMAC secret (base64, ≥ 32 bytes). */
export type SigningInput = { type: 'ed25519'; publicKey: string } | { type: 'hmac-sha256'; secret: string };

/** Ed25519 public key from SPKI DER or the raw 32 bytes, base64. */
export function parseEd25519PublicKey(base64: string): KeyObject {
  const bytes = Buffer.from(base64, 'base64');
  const der =
    bytes.length === 32 ? Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), bytes]) : bytes;
  const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  return key;
}

/** The credential to store for a creation request; BAD_USER_INPUT when it is not a usable key. */
export function signingCredential(
  signing: SigningInput | null | undefined,
  crypto: KeyCrypto,
): SigningCredential | null {
  if (!signing) return null;
  if (signing.type === 'ed25519') {
    let key: KeyObject;
    try {
      key = parseEd25519PublicKey(signing.publicKey);
    } catch {
      throw gatewayError(
        'BAD_USER_INPUT',
        'the Ed25519 public key must be SPKI DER or 32 raw bytes, base64.',
        { argument: 'signing' },
      );
    }
    return { type: 'ed25519', publicKey: key.export({ format: 'der', type: 'spki' }).toString('base64') };
  }
  const secret = Buffer.from(signing.secret, 'base64');
  if (secret.length < 32)
    throw gatewayError('BAD_USER_INPUT', 'an HMAC signing secret must be at least 32 bytes.', {
      argument: 'signing',
    });
  return { type: 'hmac-sha256', encryptedSecret: crypto.seal(secret) };
}

/** The verifier of a stored credential (opens a sealed HMAC secret). */
export function verifierOf(signing: SigningCredential, crypto: KeyCrypto): VerificationKey {
  return signing.type === 'ed25519'
    ? ed25519Key(parseEd25519PublicKey(signing.publicKey))
    : hmacSha256Key(crypto.open(signing.encryptedSecret));
}
