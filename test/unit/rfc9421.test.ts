/**
 * RFC 9421 Appendix B.2.5 (hmac-sha256) and B.2.6 (ed25519), and RFC 9530's digest, verified as
 * published (shared/reference/rfc9421-vectors.md), and every one-byte variation refused.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentDigest, verifyContentDigest } from '../../src/signing/digest.js';
import { SignatureError } from '../../src/signing/errors.js';
import type { SignedMessage } from '../../src/signing/message.js';
import {
  ed25519Key,
  hmacSha256Key,
  type VerificationKey,
  verifyMessageSignature,
} from '../../src/signing/verify.js';

const CREATED_MS = 1618884473 * 1000;
const BODY = Buffer.from('{"hello": "world"}');
const SHARED_SECRET = Buffer.from(
  'uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==',
  'base64',
);
const ED25519_PUBLIC = createPublicKey({
  key: Buffer.from('MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=', 'base64'),
  format: 'der',
  type: 'spki',
});

const baseHeaders: Record<string, string> = {
  host: 'example.com',
  date: 'Tue, 20 Apr 2021 02:07:55 GMT',
  'content-type': 'application/json',
  'content-digest':
    'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
  'content-length': '18',
};

const VECTORS = {
  'B.2.5 hmac-sha256': {
    input: 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    signature: 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:',
    key: hmacSha256Key(SHARED_SECRET),
    keyId: 'test-shared-secret',
  },
  'B.2.6 ed25519': {
    input:
      'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    signature:
      'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
    key: ed25519Key(ED25519_PUBLIC),
    keyId: 'test-key-ed25519',
  },
};

function message(headers: Record<string, string>, overrides: Partial<SignedMessage> = {}): SignedMessage {
  return {
    method: 'POST',
    scheme: 'https',
    authority: 'example.com',
    path: '/foo',
    query: 'param=Value&Pet=dog',
    header: (name) => headers[name] ?? null,
    ...overrides,
  };
}

async function verify(msg: SignedMessage, key: VerificationKey, keyId: string, nowMs = CREATED_MS) {
  return verifyMessageSignature(
    msg,
    async (id) => {
      if (id !== keyId) throw new SignatureError('SIGNATURE_INVALID', `unknown keyid ${id}`);
      return key;
    },
    { components: [], params: ['created', 'keyid'], maxAgeSeconds: 30 },
    nowMs,
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'verified';
  } catch (err) {
    return err instanceof SignatureError ? err.code : `unexpected ${(err as Error).message}`;
  }
}

/** Flips one character of a string (stays printable, changes the bytes). */
const flip = (value: string, at: number) =>
  value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);

describe.each(Object.entries(VECTORS))('RFC 9421 %s', (_, vector) => {
  const signed = (extra: Record<string, string> = {}) =>
    message({ ...baseHeaders, 'signature-input': vector.input, signature: vector.signature, ...extra });

  it('verifies exactly as published, with the clock pinned to created', async () => {
    expect(await verify(signed(), vector.key, vector.keyId)).toMatchObject({
      keyId: vector.keyId,
      created: 1618884473,
    });
  });

  it('is refused as SIGNATURE_EXPIRED at any real time (max age 30 s)', async () => {
    expect(await codeOf(verify(signed(), vector.key, vector.keyId, Date.now()))).toBe('SIGNATURE_EXPIRED');
  });

  it('refuses a one-byte change in a covered component value', async () => {
    expect(await codeOf(verify(signed({ date: flip(baseHeaders.date!, 5) }), vector.key, vector.keyId))).toBe(
      'SIGNATURE_INVALID',
    );
    expect(
      await codeOf(verify(signed({ 'content-type': 'application/jsoN' }), vector.key, vector.keyId)),
    ).toBe('SIGNATURE_INVALID');
    expect(
      await codeOf(
        verify(
          message(
            { ...baseHeaders, 'signature-input': vector.input, signature: vector.signature },
            { authority: 'example.con' },
          ),
          vector.key,
          vector.keyId,
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
  });

  it('refuses a one-byte change in a parameter', async () => {
    const later = vector.input.replace('created=1618884473', 'created=1618884474');
    expect(await codeOf(verify(signed({ 'signature-input': later }), vector.key, vector.keyId))).toBe(
      'SIGNATURE_INVALID',
    );
    const otherKey = vector.input.replace(vector.keyId, flip(vector.keyId, 0));
    expect(await codeOf(verify(signed({ 'signature-input': otherKey }), vector.key, vector.keyId))).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it('refuses every one-byte change in the signature', async () => {
    const start = vector.signature.indexOf(':') + 1;
    const end = vector.signature.lastIndexOf(':');
    for (let at = start; at < end - 2; at += 3) {
      expect(
        await codeOf(verify(signed({ signature: flip(vector.signature, at) }), vector.key, vector.keyId)),
      ).toBe('SIGNATURE_INVALID');
    }
  });

  it('refuses an alg parameter that the key does not use', async () => {
    const wrongAlg = `${vector.input};alg="${vector.key.alg === 'ed25519' ? 'hmac-sha256' : 'ed25519'}"`;
    expect(await codeOf(verify(signed({ 'signature-input': wrongAlg }), vector.key, vector.keyId))).toBe(
      'SIGNATURE_INVALID',
    );
  });
});

describe('RFC 9530 Content-Digest', () => {
  it("matches the test request's published sha-512, and RFC 9530's sha-256 example", () => {
    expect(() => verifyContentDigest(baseHeaders['content-digest']!, BODY)).not.toThrow();
    expect(contentDigest(Buffer.from('{"hello": "world"}\n'))).toBe(
      'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:',
    );
  });

  it('refuses a one-byte change of the body or of the digest', () => {
    const body = Buffer.from(BODY);
    body[3] = body[3]! ^ 1;
    expect(() => verifyContentDigest(baseHeaders['content-digest']!, body)).toThrow(
      /does not match the body/,
    );
    expect(() => verifyContentDigest(flip(baseHeaders['content-digest']!, 12), BODY)).toThrow(
      /does not match the body/,
    );
    expect(() => verifyContentDigest('md5=:AAAA:', BODY)).toThrow(/sha-256 or sha-512/);
    expect(() => verifyContentDigest(null, BODY)).toThrow(/required/);
  });
});

describe('verification policy', () => {
  const ed = ed25519Key(ED25519_PUBLIC);
  const key = createPrivateKey({
    key: Buffer.from('MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF', 'base64'),
    format: 'der',
    type: 'pkcs8',
  });
  expect(key.asymmetricKeyType).toBe('ed25519');

  it('names the missing components and parameters', async () => {
    const msg = message({
      ...baseHeaders,
      'signature-input': VECTORS['B.2.6 ed25519'].input,
      signature: VECTORS['B.2.6 ed25519'].signature,
    });
    const refused = verifyMessageSignature(
      msg,
      async () => ed,
      { components: ['@method', 'content-digest'], maxAgeSeconds: 30 },
      CREATED_MS,
    );
    await expect(refused).rejects.toThrow(/must carry the "nonce" parameter/);
    const missing = verifyMessageSignature(
      msg,
      async () => ed,
      {
        components: ['@method', 'content-digest', '@query'],
        params: ['created', 'keyid'],
        maxAgeSeconds: 30,
      },
      CREATED_MS,
    );
    await expect(missing).rejects.toThrow(/must also cover: content-digest, @query/);
  });

  it('refuses a missing signature with SIGNATURE_REQUIRED and several signatures with SIGNATURE_INVALID', async () => {
    expect(await codeOf(verify(message(baseHeaders), ed, 'test-key-ed25519'))).toBe('SIGNATURE_REQUIRED');
    const two = `${VECTORS['B.2.6 ed25519'].input}, ${VECTORS['B.2.5 hmac-sha256'].input}`;
    expect(
      await codeOf(
        verify(
          message({ ...baseHeaders, 'signature-input': two, signature: VECTORS['B.2.6 ed25519'].signature }),
          ed,
          'test-key-ed25519',
        ),
      ),
    ).toBe('SIGNATURE_INVALID');
  });

  it('refuses a created from the future beyond the skew', async () => {
    expect(
      await codeOf(
        verify(
          message({
            ...baseHeaders,
            'signature-input': VECTORS['B.2.6 ed25519'].input,
            signature: VECTORS['B.2.6 ed25519'].signature,
          }),
          ed,
          'test-key-ed25519',
          CREATED_MS - 60_000,
        ),
      ),
    ).toBe('SIGNATURE_EXPIRED');
  });
});
