/** Who is calling. Shared by the gateway, the policy plugins and the sources' resolvers. */
import { gatewayError } from '../errors.js';

/** The authenticated caller of a request. */
export interface Principal {
  /** The user the request acts for (JWT `sub`, or the API key's client). */
  readonly userId: string;
  /** How the principal was established. */
  readonly via: 'dev-header' | 'jwt' | 'api-key';
  /** Granted scopes. */
  readonly scopes: ReadonlySet<string>;
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
