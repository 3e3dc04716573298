/**
 * Signs a request the way Switchyard verifies it (RFC 9421 + RFC 9530): Content-Digest of the
 * body, and one signature `sig` over @method, @authority, @path, @query (when there is a query),
 * content-digest and content-type, with created, keyid, nonce and alg.
 */
import { createHmac, createPrivateKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { type BareItem, type InnerList, type Item, serializeInnerList } from 'structured-headers';
import { contentDigest } from '../signing/digest.js';
import { signatureBase } from '../signing/message.js';

/** A signing credential: the key id of the API key that carries it, and the private half. */
export type SigningKey =
  | { keyId: string; algorithm: 'ed25519'; privateKey: KeyObject }
  | { keyId: string; algorithm: 'hmac-sha256'; secret: Uint8Array };

/** An Ed25519 signing key from a PKCS#8 private key (DER base64 or PEM). */
export function ed25519SigningKey(keyId: string, privateKey: string | KeyObject): SigningKey {
  const key =
    typeof privateKey === 'string'
      ? privateKey.includes('BEGIN')
        ? createPrivateKey(privateKey)
        : createPrivateKey({ key: Buffer.from(privateKey, 'base64'), format: 'der', type: 'pkcs8' })
      : privateKey;
  return { keyId, algorithm: 'ed25519', privateKey: key };
}

/** A fresh nonce: 128 random bits, base64url. */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

export interface RequestToSign {
  method: string;
  url: string;
  body: Uint8Array;
  contentType: string;
  key: SigningKey;
  /** Unix seconds; pass the server-corrected time. */
  created: number;
  nonce?: string;
}

/** The headers to add to the request: Content-Digest, Signature-Input, Signature. */
export function signRequest({
  method,
  url,
  body,
  contentType,
  key,
  created,
  nonce = newNonce(),
}: RequestToSign): Record<string, string> {
  const target = new URL(url);
  const digest = contentDigest(body);
  const components = [
    '@method',
    '@authority',
    '@path',
    ...(target.search ? ['@query'] : []),
    'content-digest',
    'content-type',
  ];
  const params = new Map<string, BareItem>([
    ['created', created],
    ['keyid', key.keyId],
    ['nonce', nonce],
    ['alg', key.algorithm],
  ]);
  const input: InnerList = [components.map((c): Item => [c, new Map()]), params];
  const headers: Record<string, string> = { 'content-digest': digest, 'content-type': contentType };
  const base = signatureBase(
    {
      method,
      scheme: target.protocol === 'https:' ? 'https' : 'http',
      authority: target.host,
      path: target.pathname,
      query: target.search.slice(1),
      header: (name) => headers[name] ?? null,
    },
    input,
  );
  const signature =
    key.algorithm === 'ed25519'
      ? sign(null, Buffer.from(base), key.privateKey)
      : createHmac('sha256', key.secret).update(base).digest();
  return {
    'content-digest': digest,
    'signature-input': `sig=${serializeInnerList(input)}`,
    signature: `sig=:${signature.toString('base64')}:`,
  };
}
