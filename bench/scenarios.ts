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
  /** The POST body, identical for both systems; `i` numbers the requests of a run (unique bodies). */
  body(i: number, run: string): string;
  /**
   * Mutations: every request is different (its own clientOrderId) and signed (RFC 9421, its own
   * nonce), so the load generator replays a pre-signed list instead of one body.
   */
  readonly signed?: boolean;
  /** The floor route that answers this query by hand. */
  readonly floorPath: string;
  /** Added latency per upstream call, in ms (sandbox fault knob). */
  readonly latencyMs: number;
  /** Gateway environment of this scenario, over the bench's (scenarios sharing one share a process). */
  readonly gatewayEnv?: Readonly<Record<string, string>>;
  /** What must be equal in both answers (default: every byte). */
  comparable?(answer: string): string;
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
  placeOrder(input: $input) { id accountId status clientOrderId quantity limitPrice }
}`;

const hundredIds = tokens.slice(0, 100).map((token) => token.id);

const tokenBody = request(TOKEN, { id: 'bitcoin' }, 'Token');
const portfolioBody = request(PORTFOLIO, { accountId: 'acc-1' }, 'Portfolio');
const tokensBody = request(TOKENS, { ids: hundredIds }, 'Tokens');

export const scenarios: readonly Scenario[] = [
  {
    name: 'token',
    description: 'token detail, cache miss (response cache off): one market and one signals call',
    body: () => tokenBody,
    floorPath: '/token',
    latencyMs: 0,
  },
  {
    name: 'token-cached',
    description: 'token detail answered from the response cache (no upstream call)',
    body: () => tokenBody,
    floorPath: '/token',
    latencyMs: 0,
    gatewayEnv: { RESPONSE_CACHE: 'true' },
  },
  {
    name: 'portfolio',
    description: '50-position portfolio: one portfolio RPC, one market and one signals call',
    body: () => portfolioBody,
    floorPath: '/portfolio',
    latencyMs: 0,
  },
  {
    name: 'tokens-100',
    description: 'tokens(ids:) for 100 ids: one market and one signals call',
    body: () => tokensBody,
    floorPath: '/tokens',
    latencyMs: 0,
  },
  {
    name: 'place-order-signed',
    description:
      'placeOrder signed with Ed25519 (RFC 9421, a fresh nonce each): one portfolio and one trading RPC',
    body: (i, run) =>
      request(
        PLACE_ORDER,
        {
          input: {
            accountId: 'acc-1',
            tokenId: 'bitcoin',
            side: 'BUY',
            type: 'LIMIT',
            quantity: '0.01',
            limitPrice: '1000',
            clientOrderId: `b-${run}-${i}`,
          },
        },
        'PlaceOrder',
      ),
    signed: true,
    floorPath: '/place-order',
    latencyMs: 0,
    // Each system places its own order: the ids differ, nothing else may.
    comparable: (answer) => answer.replace(/"id":"ord-\d+"/, '"id":"ord-…"').replace(/b-[^"]+-\d+/, 'b-…'),
  },
  {
    name: 'portfolio-5ms',
    description: '50-position portfolio with 5 ms added to every upstream call',
    body: () => portfolioBody,
    floorPath: '/portfolio',
    latencyMs: 5,
  },
];
