/** The query GraphiQL opens with, and the README's sample: the 50-position demo portfolio. */
import { DEV_USER_HEADER } from '../auth/dev-identity.js';

export const exampleQuery = /* GraphQL */ `# Switchyard: one query, four upstreams (portfolio, market, signals), one call each.
query Portfolio {
  portfolio(accountId: "acc-1") {
    accountId
    positions {
      quantity
      averageCost
      token {
        id
        symbol
        name
        price { usd change24h updatedAt }
        signal { rating score }
      }
    }
  }
  token(id: "bitcoin") { symbol price { usd } }
}
`;

/** Header preset of the GraphiQL tab: the demo user, while the development identity is on. */
export function exampleHeaders(config: { devIdentity: boolean }): string {
  return JSON.stringify(config.devIdentity ? { [DEV_USER_HEADER]: 'user-1' } : {}, null, 2);
}
