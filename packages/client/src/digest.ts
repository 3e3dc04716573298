/** RFC 9530 Content-Digest over the exact body bytes, as the gateway checks it. */
import { bufferOf, toBase64 } from './encoding.js';
import { type WebCrypto, webCrypto } from './webcrypto.js';

/** `sha-256=:<base64>:` for a body. */
export async function contentDigest(body: Uint8Array, crypto?: WebCrypto): Promise<string> {
  const hash = await webCrypto(crypto).subtle.digest('SHA-256', bufferOf(body));
  return `sha-256=:${toBase64(new Uint8Array(hash))}:`;
}
