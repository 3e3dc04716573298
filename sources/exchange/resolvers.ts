/** Resolvers of the exchange subschema (schema.graphql). */
import { type PrincipalContext, requirePrincipal } from '../../src/auth/principal.js';
import type { RequestScope } from '../../src/gateway/source.js';
import { assertEntityId } from '../../src/validation.js';
import type { CustodyActor } from './custody.js';
import { multiplyDecimals, sumDecimals } from './decimal.js';
import type { Resolvers } from './generated/resolver-types.js';
import type { ExchangeLoaders } from './loaders.js';
import type { LinkedAccount } from './store.js';

/** What exchange resolvers read from the request context. */
export interface ExchangeContext extends PrincipalContext, Pick<RequestScope, 'requestId' | 'warn'> {
  readonly exchange: ExchangeLoaders;
  /** The client's address (the audit trail's). */
  readonly clientIp: string;
}

/** A linked account as the schema shows it: `status` says whether it was just unlinked. */
export interface ExchangeAccountModel extends LinkedAccount {
  readonly status: 'ACTIVE' | 'UNLINKED';
}

/** A balance row with what its price lookup needs. */
export interface ExchangeBalanceModel {
  readonly asset: string;
  readonly free: string;
  readonly locked: string;
}

function actorOf(context: ExchangeContext): CustodyActor {
  const principal = requirePrincipal(context);
  return {
    owner: principal.userId,
    actor: `client:${principal.clientId}`,
    ip: context.clientIp,
    requestId: context.requestId,
  };
}

const active = (account: LinkedAccount): ExchangeAccountModel => ({ ...account, status: 'ACTIVE' });

/** The resolvers; `Token` is owned by market, which fills the other fields of `{ id }`. */
export const exchangeResolvers = {
  Query: {
    async exchangeAccounts(_root, _args, context) {
      const by = actorOf(context);
      return (await context.exchange.accounts(by.owner)).map(active);
    },
    async exchangeBalances(_root, args, context) {
      const by = actorOf(context);
      const id = assertEntityId(args.exchangeAccountId, 'exchangeAccountId');
      const account = await context.exchange.account(by.owner, id);
      // Another user's link and an unknown id answer alike.
      if (!account) return null;
      return context.exchange.balances(account, by);
    },
  },
  Mutation: {
    async linkExchangeAccount(_root, { input }, context) {
      const { account, warnings } = await context.exchange.link(input, actorOf(context));
      for (const warning of warnings) context.warn?.({ ...warning, exchangeAccountId: account.id });
      return active(account);
    },
    async unlinkExchangeAccount(_root, args, context) {
      const id = assertEntityId(args.id, 'id');
      return { ...(await context.exchange.unlink(id, actorOf(context))), status: 'UNLINKED' };
    },
  },
  ExchangeAccount: {
    rotationDue: (account, _args, context) => context.exchange.rotationDue(account),
  },
  ExchangeBalance: {
    token: (balance) => ({ id: balance.asset }),
    async valueUsd(balance, _args, context) {
      const price = await context.exchange.prices.load(balance.asset);
      return price ? multiplyDecimals(sumDecimals(balance.free, balance.locked), price.usd) : null;
    },
  },
} satisfies Resolvers;
