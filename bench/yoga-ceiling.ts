/**
 * `npm run bench:ceiling`: what the design card's server costs before Switchyard adds anything. The
 * bench's token query is answered by three processes, interleaved, under the same load as
 * `npm run bench`:
 *   floor  bench/floor.ts: node:http, one market and one signals call, the answer by hand
 *   http   node:http that reads and parses the body and writes the floor's answer (no upstream call):
 *          the cost of HTTP and JSON alone, the least any server can do
 *   yoga   bare graphql-yoga (no plugin, no policy) whose resolvers return the same token from memory
 *          (no upstream call): the least a request can cost once it enters Yoga's pipeline, which is
 *          less than any response-cache hit in it costs
 * If `yoga` answers fewer requests per second than `floor`, no cache hit inside Yoga's pipeline can
 * reach the floor's req/s, whatever Switchyard's plugins do.
 *
 * Options: --duration 8 (s per run) --reps 3 --connections 32 --warmup 3 (s)
 * Internal: --serve http|yoga --port N --answer JSON (a child process's role).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSchema, createYoga } from 'graphql-yoga';
import { startBenchIdentity } from './identity.js';
import { hasWrk, loadWithWrk } from './load.js';
import {
  cpuMs,
  freePort,
  median,
  peakRssMb,
  spawnWithReadyLine,
  startSandboxProcesses,
  stop,
  waitForHttp,
} from './processes.js';
import { scenarios } from './scenarios.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '3' },
    serve: { type: 'string' },
    port: { type: 'string' },
    answer: { type: 'string' },
  },
});

const TOKEN_SDL = /* GraphQL */ `
  type Query { token(id: ID!): Token }
  type Token { id: ID! symbol: String! name: String! chain: String! circulatingSupply: String
    price: Price signal: Signal }
  type Price { usd: String! change24h: Float volume24h: String marketCap: String updatedAt: String! }
  type Signal { rating: String! score: Float! updatedAt: String! }
`;

/** A child's role: serve the floor's answer over bare node:http or bare Yoga. */
function serve(role: string, port: number, answer: string): void {
  const token = (JSON.parse(answer) as { data: { token: unknown } }).data.token;
  if (role === 'http') {
    createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (text) JSON.parse(text);
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        response.end(answer);
      });
    }).listen(port, '127.0.0.1');
    return;
  }
  const yoga = createYoga({
    schema: createSchema({ typeDefs: TOKEN_SDL, resolvers: { Query: { token: () => token } } }),
    landingPage: false,
    graphiql: false,
    logging: false,
    // As the gateway runs it: Yoga's own body limit streams every body through a transform and
    // creates the request's abort signal (a DOMException per request when the socket closes).
    maxRequestBodySize: false,
  });
  createServer(yoga).listen(port, '127.0.0.1');
}

interface Run {
  rps: number;
  cpuMsPerRequest: number;
  peakRssMb: number;
  non2xx: number;
  withErrors: number;
}

async function main(): Promise<void> {
  if (!(await hasWrk())) throw new Error('wrk is needed (apt-get install wrk)');
  const children: ChildProcess[] = [];
  const identity = await startBenchIdentity();
  try {
    const { sandboxes } = await startSandboxProcesses(children);
    const floorPort = await freePort();
    const { child: floor } = await spawnWithReadyLine('bench/floor.ts', [
      ...['--port', String(floorPort)],
      ...['--market', sandboxes.market!.target, '--signals', sandboxes.signals!.target],
      ...['--portfolio', sandboxes.portfolio!.target, '--trading', sandboxes.trading!.target],
    ]);
    children.push(floor);
    const scenario = scenarios.find((s) => s.name === 'token')!;
    const body = scenario.body(0, '');
    const floorUrl = `http://127.0.0.1:${floorPort}${scenario.floorPath}`;
    const answer = await (await fetch(floorUrl, { method: 'POST', body })).text();

    const systems: { name: string; url: string; child: ChildProcess }[] = [
      { name: 'floor', url: floorUrl, child: floor },
    ];
    for (const role of ['http', 'yoga']) {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--serve',
          role,
          '--port',
          String(port),
          '--answer',
          answer,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      children.push(child);
      const url = `http://127.0.0.1:${port}/graphql`;
      await waitForHttp(role === 'yoga' ? url.replace('/graphql', '/health') : url);
      const same = await (
        await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
      ).text();
      if (same !== answer) throw new Error(`${role} answers differently:\n${same}\n${answer}`);
      systems.push({ name: role, url, child });
    }
    console.log(`answers identical (${answer.length} bytes)`);

    const load = (url: string, durationSec: number) =>
      loadWithWrk({
        url,
        body,
        headers: identity.headers,
        connections: Number(values.connections),
        durationSec,
      });
    for (const system of systems) await load(system.url, Number(values.warmup));
    const runs = new Map<string, Run[]>(systems.map((s) => [s.name, []]));
    for (let rep = 0; rep < Number(values.reps); rep++) {
      const order = rep % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order) {
        const before = cpuMs(system.child.pid!);
        const result = await load(system.url, Number(values.duration));
        const run: Run = {
          rps: result.rps,
          cpuMsPerRequest: (cpuMs(system.child.pid!) - before) / result.requests,
          peakRssMb: peakRssMb(system.child.pid!),
          non2xx: result.non2xx,
          withErrors: result.withErrors,
        };
        runs.get(system.name)!.push(run);
        console.log(
          `rep ${rep + 1} ${system.name.padEnd(6)} ${run.rps.toFixed(0).padStart(6)} req/s  cpu ${run.cpuMsPerRequest.toFixed(3)} ms/req  non-2xx ${run.non2xx}  with errors ${run.withErrors}`,
        );
      }
    }
    const floorRuns = runs.get('floor')!;
    const floorRps = median(floorRuns.map((r) => r.rps));
    const floorCpu = median(floorRuns.map((r) => r.cpuMsPerRequest));
    console.log(
      `\ntoken query, ${values.connections} connections, ${values.reps} x ${values.duration} s interleaved, medians\n`,
    );
    console.log('| system | req/s | ratio | CPU ms/req | CPU ratio | peak RSS MB | errors |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [name, list] of runs) {
      const rps = median(list.map((r) => r.rps));
      const cpu = median(list.map((r) => r.cpuMsPerRequest));
      const errors = list.reduce((sum, r) => sum + r.non2xx + r.withErrors, 0);
      console.log(
        `| ${name} | ${rps.toFixed(0)} | ${(rps / floorRps).toFixed(2)}x | ${cpu.toFixed(3)} | ${(cpu / floorCpu).toFixed(2)}x | ${Math.max(...list.map((r) => r.peakRssMb))} | ${errors} |`,
      );
    }
  } finally {
    await Promise.all(children.map(stop));
    await identity.close();
  }
}

if (values.serve) serve(values.serve, Number(values.port), values.answer!);
else await main();
