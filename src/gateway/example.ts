/** The query GraphiQL opens with, and the README's sample: the 50-position demo portfolio. */
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
