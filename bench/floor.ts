/**
 * The practical floor: a plain node:http aggregator that answers the benchmark's portfolio query by
 * hand — one portfolio RPC, then one market and one signals batch call in parallel — with the same
 * upstream plumbing (undici pool, grpc-js channel) and byte-identical JSON to the gateway's.
 * Usage: tsx bench/floor.ts --port 4100 --market URL --signals URL --portfolio HOST:PORT
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGrpcUpstream, loadProto, serviceConstructor } from '../src/upstream/grpc.js';
import { createHttpUpstream } from '../src/upstream/http.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4100' },
    market: { type: 'string' },
    signals: { type: 'string' },
    portfolio: { type: 'string' },
  },
});
if (!values.market || !values.signals || !values.portfolio)
  throw new Error('--market, --signals and --portfolio are required');

const market = createHttpUpstream({ name: 'market', url: values.market });
const signals = createHttpUpstream({ name: 'signals', url: values.signals });
const protoPath = fileURLToPath(new URL('../sources/portfolio/portfolio.proto', import.meta.url));
const portfolio = createGrpcUpstream(
  serviceConstructor(loadProto(protoPath), 'switchyard.portfolio.v1.PortfolioService'),
  {
    name: 'portfolio',
    address: values.portfolio,
  },
);

interface PortfolioReply {
  portfolios: {
    accountId: string;
    positions: { tokenId: string; quantity: string; averageCost: string }[];
  }[];
}
interface TokenReply {
  data: { id: string; symbol: string; name: string; price: { usd: string; change24h: number } | null }[];
}
interface SignalReply {
  data: { tokenId: string; rating: string; score: number }[];
}

async function answer(accountId: string): Promise<string> {
  const reply = await portfolio.unary<PortfolioReply>('BatchGetPortfolios', { accountIds: [accountId] });
  const account = reply.portfolios[0];
  if (!account) return JSON.stringify({ data: { portfolio: null } });
  const ids = [...new Set(account.positions.map((p) => p.tokenId))].join(',');
  const [tokens, sigs] = await Promise.all([
    market.getJson<TokenReply>(`/v1/tokens?ids=${ids}`),
    signals.getJson<SignalReply>(`/v1/signals?tokenIds=${ids}`),
  ]);
  const tokenById = new Map(tokens.data.map((t) => [t.id, t]));
  const signalById = new Map(sigs.data.map((s) => [s.tokenId, s]));
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

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => {
    let accountId = 'acc-1';
    try {
      accountId =
        (JSON.parse(body) as { variables?: { accountId?: string } }).variables?.accountId ?? accountId;
    } catch {
      // The floor serves one query; a body it cannot read still gets the default account.
    }
    answer(accountId).then(
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
  process.stdout.write(`${JSON.stringify({ floor: `http://127.0.0.1:${values.port}/graphql` })}\n`);
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  portfolio.close();
  void Promise.all([market.close(), signals.close()]).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
