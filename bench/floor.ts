/**
 * The practical floor: a plain node:http aggregator that answers each benchmark scenario's query by
 * hand, with the same upstream calls and the same plumbing (undici pool, grpc-js channel) as the
 * gateway, and byte-identical JSON. One route per scenario (bench/scenarios.ts names it); the
 * variables come from the GraphQL request body, as the gateway reads them.
 *
 *   POST /portfolio  one BatchGetPortfolios RPC, then one market and one signals batch call in parallel
 *   POST /token      one market and one signals batch call (one id), in parallel
 *   POST /tokens     one market and one signals batch call (all ids), in parallel
 *   POST /place-order  BatchGetAccounts (the account is user-1's), then PlaceOrder
 *
 * Usage: tsx bench/floor.ts --port 4100 --market URL --signals URL --portfolio HOST:PORT --trading HOST:PORT
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type OrderMessage,
  type PlaceOrderInput,
  toOrder,
  toPlaceOrderRequest,
} from '../sources/trading/messages.js';
import { createGrpcUpstream, loadProto, serviceConstructor } from '../src/upstream/grpc.js';
import { createHttpUpstream } from '../src/upstream/http.js';
import { noResilience } from '../src/upstream/resilience.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4100' },
    market: { type: 'string' },
    signals: { type: 'string' },
    portfolio: { type: 'string' },
    trading: { type: 'string' },
  },
});
if (!values.market || !values.signals || !values.portfolio || !values.trading)
  throw new Error('--market, --signals, --portfolio and --trading are required');

// A hand-written aggregator: each call sent once, as it is (no retries, breaker or deduplication).
const market = createHttpUpstream({ name: 'market', url: values.market, resilience: noResilience });
const signals = createHttpUpstream({ name: 'signals', url: values.signals, resilience: noResilience });
const protoPath = fileURLToPath(new URL('../sources/portfolio/portfolio.proto', import.meta.url));
const portfolio = createGrpcUpstream(
  serviceConstructor(loadProto(protoPath), 'switchyard.portfolio.v1.PortfolioService'),
  {
    name: 'portfolio',
    address: values.portfolio,
    resilience: noResilience,
  },
);
const tradingProto = fileURLToPath(new URL('../sources/trading/trading.proto', import.meta.url));
const trading = createGrpcUpstream(
  serviceConstructor(loadProto(tradingProto), 'switchyard.trading.v1.TradingService'),
  { name: 'trading', address: values.trading, resilience: noResilience },
);

interface PortfolioReply {
  portfolios: {
    accountId: string;
    positions: { tokenId: string; quantity: string; averageCost: string }[];
  }[];
}
interface MarketToken {
  id: string;
  symbol: string;
  name: string;
  chain: string | null;
  circulatingSupply: string;
  price: { usd: string; change24h: number; volume24h: string; marketCap: string; updatedAt: string } | null;
}
interface TokenReply {
  data: MarketToken[];
}
interface MarketSignal {
  tokenId: string;
  rating: string;
  score: number;
  updatedAt: string;
}
interface SignalReply {
  data: MarketSignal[];
}

/** Both batch calls for a set of ids, in parallel; results by id. */
async function tokensAndSignals(
  ids: readonly string[],
): Promise<[Map<string, MarketToken>, Map<string, MarketSignal>]> {
  const list = ids.map(encodeURIComponent).join(',');
  const [tokens, sigs] = await Promise.all([
    market.getJson<TokenReply>(`/v1/tokens?ids=${list}`),
    signals.getJson<SignalReply>(`/v1/signals?tokenIds=${list}`),
  ]);
  return [new Map(tokens.data.map((t) => [t.id, t])), new Map(sigs.data.map((s) => [s.tokenId, s]))];
}

/** `portfolio(accountId)` { accountId positions { quantity averageCost token { id symbol name price { usd change24h } signal { rating score } } } } */
async function answerPortfolio(variables: Record<string, unknown>): Promise<string> {
  const accountId = String(variables.accountId ?? 'acc-1');
  const reply = await portfolio.unary<PortfolioReply>('BatchGetPortfolios', { accountIds: [accountId] });
  const account = reply.portfolios[0];
  if (!account) return JSON.stringify({ data: { portfolio: null } });
  const [tokenById, signalById] = await tokensAndSignals([
    ...new Set(account.positions.map((p) => p.tokenId)),
  ]);
  const positions = account.positions.map((position) => {
    const token = tokenById.get(position.tokenId)!;
    const signal = signalById.get(position.tokenId);
    return {
      quantity: position.quantity,
      averageCost: position.averageCost === '' ? null : position.averageCost,
      token: {
        id: token.id,
        symbol: token.symbol,
        name: token.name,
        price: token.price ? { usd: token.price.usd, change24h: token.price.change24h } : null,
        signal: signal ? { rating: signal.rating, score: signal.score } : null,
      },
    };
  });
  return JSON.stringify({ data: { portfolio: { accountId: account.accountId, positions } } });
}

/** `token(id)` { id symbol name chain circulatingSupply price { usd change24h volume24h marketCap updatedAt } signal { rating score updatedAt } } */
async function answerToken(variables: Record<string, unknown>): Promise<string> {
  const id = String(variables.id ?? 'bitcoin');
  const [tokenById, signalById] = await tokensAndSignals([id]);
  const token = tokenById.get(id);
  if (!token) return JSON.stringify({ data: { token: null } });
  const signal = signalById.get(id);
  return JSON.stringify({
    data: {
      token: {
        id: token.id,
        symbol: token.symbol,
        name: token.name,
        chain: token.chain,
        circulatingSupply: token.circulatingSupply,
        price: token.price
          ? {
              usd: token.price.usd,
              change24h: token.price.change24h,
              volume24h: token.price.volume24h,
              marketCap: token.price.marketCap,
              updatedAt: token.price.updatedAt,
            }
          : null,
        signal: signal ? { rating: signal.rating, score: signal.score, updatedAt: signal.updatedAt } : null,
      },
    },
  });
}

/** `tokens(ids)` { id symbol price { usd change24h } signal { rating score } }, in the order asked, null when unknown. */
async function answerTokens(variables: Record<string, unknown>): Promise<string> {
  const ids = Array.isArray(variables.ids) ? variables.ids.map(String) : [];
  const [tokenById, signalById] = await tokensAndSignals([...new Set(ids)]);
  const tokens = ids.map((id) => {
    const token = tokenById.get(id);
    if (!token) return null;
    const signal = signalById.get(id);
    return {
      id: token.id,
      symbol: token.symbol,
      price: token.price ? { usd: token.price.usd, change24h: token.price.change24h } : null,
      signal: signal ? { rating: signal.rating, score: signal.score } : null,
    };
  });
  return JSON.stringify({ data: { tokens } });
}

/** `placeOrder(input)` { id accountId status clientOrderId quantity limitPrice }, for user-1's accounts. */
async function answerPlaceOrder(variables: Record<string, unknown>): Promise<string> {
  const input = variables.input as PlaceOrderInput;
  const { accounts } = await portfolio.unary<{ accounts: { id: string; userId: string }[] }>(
    'BatchGetAccounts',
    { accountIds: [input.accountId] },
  );
  if (accounts[0]?.userId !== 'user-1') throw new Error('not your account');
  const order = toOrder(await trading.unary<OrderMessage>('PlaceOrder', toPlaceOrderRequest(input)));
  return JSON.stringify({
    data: {
      placeOrder: {
        id: order.id,
        accountId: order.accountId,
        status: order.status,
        clientOrderId: order.clientOrderId,
        quantity: order.quantity,
        limitPrice: order.limitPrice,
      },
    },
  });
}

const routes: Record<string, (variables: Record<string, unknown>) => Promise<string>> = {
  '/portfolio': answerPortfolio,
  '/token': answerToken,
  '/tokens': answerTokens,
  '/place-order': answerPlaceOrder,
};

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const route = routes[req.url ?? ''];
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => {
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: `no floor route ${req.url}` }] }));
      return;
    }
    let variables: Record<string, unknown> = {};
    try {
      variables = (JSON.parse(body) as { variables?: Record<string, unknown> }).variables ?? {};
    } catch {
      // The floor serves fixed queries; a body it cannot read gets the defaults.
    }
    route(variables).then(
      (json) => {
        res.writeHead(200, { 'content-type': 'application/graphql-response+json; charset=utf-8' });
        res.end(json);
      },
      (err: Error) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: err.message }] }));
      },
    );
  });
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ floor: `http://127.0.0.1:${values.port}` })}\n`);
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  portfolio.close();
  trading.close();
  void Promise.all([market.close(), signals.close()]).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
