/** Who is calling. Shared by the gateway, the policy plugins and the sources' resolvers. */
import { gatewayError } from '../errors.js';

/** The authenticated caller of a request. */
export interface Principal {
  /** The user the request acts for (JWT `sub`, or the API key's client). */
  readonly userId: string;
  /** The client application: the API key's client, or the JWT's `azp`/`client_id` (else `sub`). */
  readonly clientId: string;
  /** How the principal was established. */
  readonly via: 'jwt' | 'api-key';
  /** Granted scopes. */
  readonly scopes: ReadonlySet<string>;
  /** Rate-limit plan (`free`, `pro`, …). */
  readonly plan: string;
  /** API keys only: the key id and its version in its rotation chain. */
  readonly keyId?: string;
  readonly keyVersion?: number;
  /**
   * When the credential stops being valid (epoch ms): the JWT's `exp`, the key's expiry or Sunset.
   * Long-lived things a request starts (subscriptions) end at that moment.
   */
  readonly expiresAt?: number;
}

/** What resolvers may read of the caller; every source context extends it. */
export interface PrincipalContext {
  readonly principal: Principal | null;
}

/** Returns the principal or throws UNAUTHENTICATED. */
export function requirePrincipal(context: PrincipalContext): Principal {
  if (!context.principal) throw gatewayError('UNAUTHENTICATED', 'Sign in to access account data.');
  return context.principal;
}
