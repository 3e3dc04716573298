/** Resolvers of the portfolio subschema (schema.graphql). */
import type { IResolvers } from '@graphql-tools/utils';
import { type PrincipalContext, requirePrincipal } from '../../src/auth/principal.js';
import { assertEntityId } from '../../src/validation.js';
import { accountForbidden } from './authorize.js';
import type { PortfolioLoaders } from './loaders.js';
import type { Account, Portfolio, Position } from './messages.js';

/** What portfolio resolvers read from the request context. */
export interface PortfolioContext extends PrincipalContext {
  readonly portfolio: PortfolioLoaders;
}

/** The resolvers; `Token` is owned by market, which fills the other fields of `{ id }`. */
export const portfolioResolvers = {
  Query: {
    accounts(_: unknown, __: unknown, context: PortfolioContext): Promise<Account[]> {
      return context.portfolio.accountsByUser.load(requirePrincipal(context).userId);
    },
    async portfolio(_: unknown, args: { accountId: string }, context: PortfolioContext): Promise<Portfolio> {
      const { userId } = requirePrincipal(context);
      const accountId = assertEntityId(args.accountId, 'accountId');
      const portfolio = await context.portfolio.portfolios.load(accountId);
      if (portfolio?.userId !== userId) throw accountForbidden();
      return portfolio;
    },
  },
  Position: {
    token: (position: Position) => ({ id: position.tokenId }),
  },
} satisfies IResolvers;
