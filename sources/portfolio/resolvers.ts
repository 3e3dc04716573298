/** Resolvers of the portfolio subschema (schema.graphql). */
import { type PrincipalContext, requirePrincipal } from '../../src/auth/principal.js';
import { assertEntityId } from '../../src/validation.js';
import { accountForbidden } from './authorize.js';
import type { Resolvers } from './generated/resolver-types.js';
import type { PortfolioLoaders } from './loaders.js';
import type { Account, Portfolio } from './messages.js';

/** What portfolio resolvers read from the request context. */
export interface PortfolioContext extends PrincipalContext {
  readonly portfolio: PortfolioLoaders;
}

/** The resolvers; `Token` is owned by market, which fills the other fields of `{ id }`. */
export const portfolioResolvers = {
  Query: {
    accounts(_root, _args, context): Promise<Account[]> {
      return context.portfolio.accountsByUser.load(requirePrincipal(context).userId);
    },
    async portfolio(_root, args, context): Promise<Portfolio> {
      const { userId } = requirePrincipal(context);
      const accountId = assertEntityId(args.accountId, 'accountId');
      const portfolio = await context.portfolio.portfolios.load(accountId);
      if (portfolio?.userId !== userId) throw accountForbidden();
      return portfolio;
    },
  },
  Position: {
    token: (position) => ({ id: position.tokenId }),
  },
} satisfies Resolvers;
