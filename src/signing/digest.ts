/** RFC 9530 Content-Digest: sha-256 and sha-512 over the raw body bytes. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isInnerList, parseDictionary } from 'structured-headers';
import { SignatureError } from './errors.js';

const ALGORITHMS = { 'sha-256': 'sha256', 'sha-512': 'sha512' } as const;

/** `sha-256=:…:` for a body (what clients send). */
export function contentDigest(body: Uint8Array, algorithm: keyof typeof ALGORITHMS = 'sha-256'): string {
  return `${algorithm}=:${createHash(ALGORITHMS[algorithm]).update(body).digest('base64')}:`;
}

/**
 * Checks a Content-Digest header against the body: at least one supported algorithm must be
 * present, and every supported one given must match.
 */
export function verifyContentDigest(header: string | null, body: Uint8Array): void {
  if (header === null)
    throw new SignatureError(
      'SIGNATURE_INVALID',
      'Content-Digest is required (RFC 9530, sha-256 or sha-512 of the body).',
    );
  let dictionary: ReturnType<typeof parseDictionary>;
  try {
    dictionary = parseDictionary(header);
  } catch {
    throw new SignatureError(
      'SIGNATURE_INVALID',
      'Content-Digest is not a structured dictionary such as sha-256=:<base64>:.',
    );
  }
  let checked = 0;
  for (const [name, algorithm] of Object.entries(ALGORITHMS)) {
    const member = dictionary.get(name);
    if (member === undefined) continue;
    const value = isInnerList(member) ? undefined : member[0];
    if (!(value instanceof ArrayBuffer)) {
      throw new SignatureError(
        'SIGNATURE_INVALID',
        `Content-Digest ${name} must be a byte sequence (:<base64>:).`,
      );
    }
    const expected = createHash(algorithm).update(body).digest();
    const given = Buffer.from(value);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SignatureError(
        'SIGNATURE_INVALID',
        `Content-Digest ${name} does not match the body that was received.`,
      );
    }
    checked++;
  }
  if (checked === 0)
    throw new SignatureError('SIGNATURE_INVALID', 'Content-Digest must use sha-256 or sha-512.');
}
