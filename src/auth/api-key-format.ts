/**
 * The API key format: `sy_<live|test>_<key id>_<secret><checksum>`.
 *
 * - key id: 16 base62 characters (~95 bits), public: it names the key in logs, audit and admin.
 * - secret: 43 base62 characters from the CSPRNG (43 × log2 62 ≈ 256.03 bits).
 * - checksum: 6 base62 characters of CRC-32 over everything before it, so a typo or a random
 *   string is refused without a store lookup, and secret scanners can confirm a match offline.
 *
 * Secret scanners: {@link API_KEY_PATTERN}, then {@link parseApiKey} to confirm the checksum.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export type KeyEnvironment = 'live' | 'test';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_ID_LENGTH = 16;
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;

/** Finds candidate keys in text (use the global flag's `matchAll`); confirm each with parseApiKey. */
export const API_KEY_PATTERN = /\bsy_(live|test)_([0-9A-Za-z]{16})_([0-9A-Za-z]{49})\b/g;
const EXACT = /^sy_(live|test)_([0-9A-Za-z]{16})_([0-9A-Za-z]{49})$/;

/** A syntactically valid key whose checksum matches. */
export interface ParsedApiKey {
  environment: KeyEnvironment;
  keyId: string;
}

/** Random base62 string of `length` characters, uniform (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += ALPHABET[byte % 62]; // 248 = 4 × 62: bytes above would bias the low digits
      if (out.length === length) break;
    }
  }
  return out;
}

/** Creates a new key (the only time its secret exists in clear). */
export function generateApiKey(environment: KeyEnvironment): { key: string; keyId: string } {
  const keyId = randomBase62(KEY_ID_LENGTH);
  const body = `sy_${environment}_${keyId}_${randomBase62(SECRET_LENGTH)}`;
  return { key: `${body}${checksum(body)}`, keyId };
}

/** Parses a presented key; null when malformed or when the checksum does not match. */
export function parseApiKey(value: string): ParsedApiKey | null {
  const match = EXACT.exec(value);
  if (!match) return null;
  const body = value.slice(0, -CHECKSUM_LENGTH);
  if (checksum(body) !== value.slice(-CHECKSUM_LENGTH)) return null;
  return { environment: match[1] as KeyEnvironment, keyId: match[2]! };
}

/** Base62-encoded CRC-32 of the text, left-padded to 6 characters. */
export function checksum(text: string): string {
  let value = crc32(text);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}
