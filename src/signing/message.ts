/**
 * RFC 9421 signature bases. A `SignedMessage` is what the verifier sees of a request: method,
 * authority, path, query, header lookup. Derived components (`@method`, `@authority`, `@path`,
 * `@query`, `@target-uri`, `@scheme`, `@request-target`) and plain header fields are supported;
 * component parameters (`;sf`, `;key`, `;bs`, `;req`) are not, and are refused.
 */
import { type InnerList, serializeInnerList } from 'structured-headers';
import { SignatureError } from './errors.js';

export interface SignedMessage {
  method: string;
  scheme: 'http' | 'https';
  /** Host and port as the client addressed them (port only when not the scheme's default). */
  authority: string;
  /** Absolute path, without the query. */
  path: string;
  /** The query string without `?`, or '' when there is none. */
  query: string;
  /** Field value by lowercase name; null when absent (several values already joined by ", "). */
  header(name: string): string | null;
}

/** Value of one covered component. */
export function componentValue(message: SignedMessage, name: string): string {
  switch (name) {
    case '@method':
      return message.method.toUpperCase();
    case '@authority':
      return message.authority.toLowerCase();
    case '@scheme':
      return message.scheme;
    case '@path':
      return message.path || '/';
    case '@query':
      return `?${message.query}`;
    case '@target-uri':
      return `${message.scheme}://${message.authority.toLowerCase()}${message.path || '/'}${message.query ? `?${message.query}` : ''}`;
    case '@request-target':
      return `${message.path || '/'}${message.query ? `?${message.query}` : ''}`;
    default: {
      if (name.startsWith('@'))
        throw new SignatureError('SIGNATURE_INVALID', `Unsupported derived component ${name}.`);
      if (name !== name.toLowerCase())
        throw new SignatureError('SIGNATURE_INVALID', `Component names are lowercase: ${name}.`);
      const value = message.header(name);
      if (value === null)
        throw new SignatureError(
          'SIGNATURE_INVALID',
          `The signature covers "${name}", which the request does not carry.`,
        );
      return value.trim();
    }
  }
}

/** The signature base (RFC 9421 §2.5) for a parsed Signature-Input member. */
export function signatureBase(message: SignedMessage, input: InnerList): string {
  const [items] = input;
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const [name, params] of items) {
    if (typeof name !== 'string')
      throw new SignatureError('SIGNATURE_INVALID', 'Covered components must be strings such as "@method".');
    if (params.size > 0)
      throw new SignatureError('SIGNATURE_INVALID', `Component parameters are not supported (on "${name}").`);
    if (seen.has(name)) throw new SignatureError('SIGNATURE_INVALID', `"${name}" is covered twice.`);
    seen.add(name);
    lines.push(`"${name}": ${componentValue(message, name)}`);
  }
  lines.push(`"@signature-params": ${serializeInnerList(input)}`);
  return lines.join('\n');
}
