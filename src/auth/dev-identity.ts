/**
 * DEVELOPMENT ONLY — the identity header of the gateway core, until JWT and API keys land.
 * `X-Switchyard-Dev-User: user-1` makes the request act for user-1 with every scope. It is never
 * honoured in production (config.devIdentity is false when NODE_ENV=production).
 */
import { gatewayError } from '../errors.js';
import type { Principal } from './principal.js';

export const DEV_USER_HEADER = 'x-switchyard-dev-user';

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ALL_SCOPES: ReadonlySet<string> = new Set(['market:read', 'portfolio:read', 'trade:write']);

/** The principal named by the development header, null without one; a malformed value is refused. */
export function principalFromDevHeader(headers: Headers): Principal | null {
  const userId = headers.get(DEV_USER_HEADER);
  if (userId === null) return null;
  if (!USER_ID.test(userId)) {
    throw gatewayError('UNAUTHENTICATED', `${DEV_USER_HEADER} must be a user id such as user-1.`, undefined, {
      http: true,
    });
  }
  return { userId, via: 'dev-header', scopes: ALL_SCOPES };
}
