/**
 * RFC 9421 request signing exactly as Switchyard verifies it (src/signing/ in the gateway): one
 * signature `sig` over @method, @authority, @path, @query (only when the URL has a query),
 * content-digest and content-type, with created, keyid, nonce and alg, and a Content-Digest
 * (RFC 9530, sha-256) of the exact body bytes.
 */
import { contentDigest } from './digest.js';
import { toBase64, toBase64Url, utf8 } from './encoding.js';
import type { SigningKey } from './signing-key.js';
import { type ParamValue, serializeInnerList } from './structured-fields.js';
import { type WebCrypto, webCrypto } from './webcrypto.js';

export interface RequestToSign {
  method: string;
  url: string;
  /** The exact bytes sent (a string is taken as its UTF-8 bytes, which is what fetch sends). */
  body: Uint8Array | string;
  contentType: string;
  key: SigningKey;
  /** Unix seconds; pass the server-corrected time. @default now */
  created?: number;
  /** @default a fresh 128-bit random nonce */
  nonce?: string;
  crypto?: WebCrypto;
}

/** A fresh nonce: 128 random bits, base64url. */
export function newNonce(crypto?: WebCrypto): string {
  return toBase64Url(webCrypto(crypto).getRandomValues(new Uint8Array(16)));
}

/** The lines RFC 9421 §2.5 signs, for the components the SDK covers. */
export function signatureBase(
  components: readonly (readonly [string, string])[],
  signatureParams: string,
): string {
  return [
    ...components.map(([name, value]) => `"${name}": ${value}`),
    `"@signature-params": ${signatureParams}`,
  ].join('\n');
}

/** The headers to add to the request: Content-Digest, Signature-Input and Signature. */
export async function signRequest(request: RequestToSign): Promise<Record<string, string>> {
  const { method, url, contentType, key, crypto } = request;
  const body = typeof request.body === 'string' ? utf8(request.body) : request.body;
  const target = new URL(url);
  const digest = await contentDigest(body, crypto);
  const components: [string, string][] = [
    ['@method', method.toUpperCase()],
    ['@authority', target.host.toLowerCase()],
    ['@path', target.pathname || '/'],
    ...(target.search ? [['@query', target.search] as [string, string]] : []),
    ['content-digest', digest],
    ['content-type', contentType.trim()],
  ];
  const params: [string, ParamValue][] = [
    ['created', request.created ?? Math.floor(Date.now() / 1000)],
    ['keyid', key.keyId],
    ['nonce', request.nonce ?? newNonce(crypto)],
    ['alg', key.algorithm],
  ];
  const input = serializeInnerList(
    components.map(([name]) => name),
    params,
  );
  const signature = await key.sign(utf8(signatureBase(components, input)));
  return {
    'content-digest': digest,
    'signature-input': `sig=${input}`,
    signature: `sig=:${toBase64(signature)}:`,
  };
}
