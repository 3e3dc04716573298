/**
 * The benchmark's scenarios: one GraphQL request each, posted unchanged to Switchyard and to the
 * floor route that answers it by hand (bench/floor.ts). A scenario that needs a feature not built yet
 * stays in the list with `pending` saying what it waits for, so it slots in when the feature lands.
 */
import { tokens } from '../sources/sandbox-kit/universe.js';

export interface Scenario {
  /** `--scenario` name and results key. */
  readonly name: string;
  readonly description: string;
  /** The POST body, identical for both systems. */
  readonly body: string;
  /** The floor route that answers this query by hand. */
  readonly floorPath: string;
  /** Added latency per upstream call, in ms (sandbox fault knob). */
  readonly latencyMs: number;
  /** Set while the scenario cannot run: what it waits for. */
  readonly pending?: string;
}

const request = (query: string, variables: Record<string, unknown>, operationName: string): string =>
  JSON.stringify({ query, variables, operationName });

const TOKEN = `query Token($id: ID!) {
  token(id: $id) {
    id symbol name chain circulatingSupply
    price { usd change24h volume24h marketCap updatedAt }
    signal { rating score updatedAt }
  }
}`;

const PORTFOLIO = `query Portfolio($accountId: ID!) {
  portfolio(accountId: $accountId) {
    accountId
    positions { quantity averageCost token { id symbol name price { usd change24h } signal { rating score } } }
  }
}`;

const TOKENS = `query Tokens($ids: [ID!]!) {
  tokens(ids: $ids) { id symbol price { usd change24h } signal { rating score } }
}`;

const PLACE_ORDER = `mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id status clientOrderId }
}`;

const hundredIds = tokens.slice(0, 100).map((token) => token.id);

export const scenarios: readonly Scenario[] = [
  {
    name: 'token',
    description: 'token detail (cache miss): one market and one signals call',
    body: request(TOKEN, { id: 'bitcoin' }, 'Token'),
    floorPath: '/token',
    latencyMs: 0,
  },
  {
    name: 'token-cached',
    description: 'token detail answered from the response cache',
    body: request(TOKEN, { id: 'bitcoin' }, 'Token'),
    floorPath: '/token',
    latencyMs: 0,
    pending: 'the response cache (not built yet)',
  },
  {
    name: 'portfolio',
    description: '50-position portfolio: one portfolio RPC, one market and one signals call',
    body: request(PORTFOLIO, { accountId: 'acc-1' }, 'Portfolio'),
    floorPath: '/portfolio',
    latencyMs: 0,
  },
  {
    name: 'tokens-100',
    description: 'tokens(ids:) for 100 ids: one market and one signals call',
    body: request(TOKENS, { ids: hundredIds }, 'Tokens'),
    floorPath: '/tokens',
    latencyMs: 0,
  },
  {
    name: 'place-order-signed',
    description: 'placeOrder with an RFC 9421 signature (a fresh nonce per request)',
    body: request(
      PLACE_ORDER,
      {
        input: {
          accountId: 'acc-1',
          tokenId: 'bitcoin',
          side: 'BUY',
          type: 'LIMIT',
          quantity: '0.01',
          limitPrice: '1',
          clientOrderId: 'bench',
        },
      },
      'PlaceOrder',
    ),
    floorPath: '/place-order',
    latencyMs: 0,
    pending: 'signed mutations (not built yet); it also needs a per-request signature in the load generator',
  },
  {
    name: 'portfolio-5ms',
    description: '50-position portfolio with 5 ms added to every upstream call',
    body: request(PORTFOLIO, { accountId: 'acc-1' }, 'Portfolio'),
    floorPath: '/portfolio',
    latencyMs: 5,
  },
];
