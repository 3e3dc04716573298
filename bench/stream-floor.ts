/**
 * The floor of `npm run bench:stream`: a plain node:http SSE broadcaster. It opens the market
 * sandbox's price stream of one token once, and writes every tick to every subscriber as the event
 * the gateway sends (`event: next`, `data: {"data":{"priceUpdates":{tokenId,usd,updatedAt}}}`),
 * serialised once per tick. Any POST is a subscription: no auth, no GraphQL, no limits, no
 * buffering of its own — the same fan-out with nothing else.
 *
 * Usage: tsx bench/stream-floor.ts --port 4100 --market URL [--token bitcoin]
 * Prints one JSON line `{"floor":"http://127.0.0.1:PORT/graphql"}` once the upstream stream is open.
 */
import { createServer, get, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4100' },
    market: { type: 'string' },
    token: { type: 'string', default: 'bitcoin' },
  },
});
if (!values.market) throw new Error('--market URL is required');

/** Yoga's SSE keep-alive interval: the floor sends the same comments. */
const HEARTBEAT_MS = 12_000;

const subscribers = new Set<ServerResponse>();

function broadcast(frame: string): void {
  for (const res of subscribers) res.write(frame);
}

/** Turns one upstream `event: price` block into the frame every subscriber gets. */
function frameOf(block: string): string | null {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trimStart();
  }
  if (event !== 'price' || data === '') return null;
  const { tokenId, usd, updatedAt } = JSON.parse(data) as { tokenId: string; usd: string; updatedAt: string };
  return `event: next\ndata: ${JSON.stringify({ data: { priceUpdates: { tokenId, usd, updatedAt } } })}\n\n`;
}

function openUpstream(): Promise<void> {
  const url = `${values.market}/v1/stream/prices?ids=${encodeURIComponent(values.token)}`;
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`upstream ${url} answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buffered = '';
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
          const frame = frameOf(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
          if (frame) broadcast(frame);
        }
      });
      // The floor has no reconnect logic: a lost upstream ends the benchmark, loudly.
      res.on('close', () => {
        console.error('stream-floor: upstream stream closed');
        process.exit(1);
      });
      resolve();
    });
    req.on('error', reject);
  });
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(404).end();
    return;
  }
  req.resume();
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  subscribers.add(res);
  res.once('close', () => subscribers.delete(res));
});
server.maxConnections = 1_000_000;
// Long-lived responses: no request timeout, as the gateway's SSE responses.
server.requestTimeout = 0;

setInterval(() => broadcast(':\n\n'), HEARTBEAT_MS).unref();
await openUpstream();
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ floor: `http://127.0.0.1:${values.port}/graphql` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
