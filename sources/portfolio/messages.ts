/**
 * The proto messages of portfolio.proto as proto-loader decodes them (camelCase fields, defaults
 * filled in), and the domain shapes the client hands to loaders and resolvers.
 */

/** `Account` message; also the domain shape. */
export interface Account {
  id: string;
  userId: string;
  name: string;
}

/** `Position` message: `averageCost` is empty when unknown. */
export interface PositionMessage {
  tokenId: string;
  quantity: string;
  averageCost: string;
}

/** `Portfolio` message. */
export interface PortfolioMessage {
  accountId: string;
  userId: string;
  accountName: string;
  positions: PositionMessage[];
}

export interface ListAccountsRequest {
  userId: string;
}

export interface AccountsResponse {
  accounts: Account[];
}

export interface BatchGetRequest {
  accountIds: readonly string[];
}

export interface BatchGetPortfoliosResponse {
  portfolios: PortfolioMessage[];
}

/** A position as the gateway sees it: decimals as strings, `averageCost` null when unknown. */
export interface Position {
  tokenId: string;
  quantity: string;
  averageCost: string | null;
}

/** A portfolio as the gateway sees it. */
export interface Portfolio {
  accountId: string;
  userId: string;
  accountName: string;
  positions: Position[];
}

/** Maps a decoded `Portfolio` message to the domain shape. */
export function toPortfolio(message: PortfolioMessage): Portfolio {
  return {
    accountId: message.accountId,
    userId: message.userId,
    accountName: message.accountName,
    positions: message.positions.map((p) => ({
      tokenId: p.tokenId,
      quantity: p.quantity,
      averageCost: p.averageCost === '' ? null : p.averageCost,
    })),
  };
}
