/** Account ownership: a principal sees only its own accounts (scopes alone are not authorization). */

import type { GraphQLError } from 'graphql';
import { type Principal, requirePrincipal } from '../../src/auth/principal.js';
import { gatewayError } from '../../src/errors.js';
import { assertEntityId } from '../../src/validation.js';
import type { PortfolioLoaders } from './loaders.js';

/**
 * The one error for an account that is unknown or another user's: the same message for both (and
 * for every id), so that account ids cannot be probed for existence.
 */
export function accountForbidden(): GraphQLError {
  return gatewayError('FORBIDDEN', 'This account is not one of your accounts.', { argument: 'accountId' });
}

/**
 * Resolves when `accountId` belongs to `principal`; UNAUTHENTICATED without a principal,
 * BAD_USER_INPUT for a malformed id, FORBIDDEN when unknown or not the principal's. Uses the
 * `accounts` loader, so checks of one tick cost one BatchGetAccounts call.
 */
export async function authorizeAccount(
  loaders: PortfolioLoaders,
  principal: Principal | null,
  accountId: string,
): Promise<void> {
  const { userId } = requirePrincipal({ principal });
  assertEntityId(accountId, 'accountId');
  const account = await loaders.accounts.load(accountId);
  if (account?.userId !== userId) throw accountForbidden();
}
