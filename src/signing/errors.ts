/** Signature failures carry their catalogue code and a message that tells an integrator what to fix. */
import { gatewayError } from '../errors.js';

export type SignatureCode =
  | 'SIGNATURE_REQUIRED'
  | 'SIGNATURE_INVALID'
  | 'SIGNATURE_EXPIRED'
  | 'REPLAYED_REQUEST'
  | 'SERVICE_UNAVAILABLE';

/** A refused signature: `code` from the catalogue, `message` safe to show the client. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  constructor(
    readonly code: SignatureCode,
    message: string,
  ) {
    super(message);
  }
}

/** The client-facing error for a refused signature (the whole request is refused). */
export function toSignatureGraphQLError(err: SignatureError) {
  return gatewayError(err.code, err.message, undefined, {
    http: true,
    headers:
      err.code === 'SERVICE_UNAVAILABLE'
        ? { 'Retry-After': '1' }
        : {
            'Accept-Signature':
              'sig=("@method" "@authority" "@path" "content-digest" "content-type");created;keyid;nonce',
          },
  });
}
