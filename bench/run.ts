/**
 * `npm run bench`: the 50-position portfolio query against Switchyard and against the plain
 * aggregator floor (bench/floor.ts), each a separate process over the same sandbox processes,
 * interleaved and repeated; prints and writes req/s, p50, p99, CPU ms per request, peak RSS,
 * upstream calls per request and the ratio to the floor. Loopback only, bounded in time.
 *
 * Options: --duration 10 (s per run) --reps 3 --connections 32 --warmup 3 (s) --latency 0 (ms per upstream call)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hasWrk, type LoadOptions, type LoadResult, loadWithAutocannon, loadWithWrk } from './load.js';
import { cpuMs, freePort, peakRssMb, spawnWithReadyLine, stop, waitForHttp } from './processes.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '3' },
    latency: { type: 'string', default: '0' },
  },
});
const durationSec = Number(values.duration);
const reps = Number(values.reps);
const connections = Number(values.connections);
const warmupSec = Number(values.warmup);
const latencyMs = Number(values.latency);

const QUERY = `query Portfolio($accountId: ID!) {
  portfolio(accountId: $accountId) {
    accountId
    positions { quantity averageCost token { id symbol name price { usd change24h } signal { rating score } } }
  }
}`;
const BODY = JSON.stringify({ query: QUERY, variables: { accountId: 'acc-1' }, operationName: 'Portfolio' });
// Until identity lands (issue 4), the gateway runs with its development identity header.
const HEADERS = { 'x-switchyard-dev-user': 'user-1' };

interface System {
  name: 'floor' | 'switchyard';
  url: string;
  child: ChildProcess;
}

interface Sample extends LoadResult {
  system: System['name'];
  cpuMsPerRequest: number;
  upstreamCallsPerRequest: number;
  peakRssMb: number;
}

const children: ChildProcess[] = [];
const cleanup = async () => {
  await Promise.all(children.map(stop));
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function main(): Promise<void> {
  const useWrk = await hasWrk();
  const load = useWrk ? loadWithWrk : loadWithAutocannon;
  console.log(`load generator: ${useWrk ? 'wrk' : 'autocannon (install wrk for lighter load generation)'}`);

  const sandboxes: Record<string, { target: string; adminUrl: string }> = {};
  for (const name of ['market', 'signals', 'portfolio', 'trading']) {
    const { child, ready } = await spawnWithReadyLine(`sources/${name}/sandbox/main.ts`, [
      '--port',
      String(await freePort()),
    ]);
    children.push(child);
    sandboxes[name] = { target: ready.target!, adminUrl: ready.adminUrl! };
  }
  const admin = Object.values(sandboxes).map((s) => s.adminUrl);
  await Promise.all(
    admin.map((url) => fetch(`${url}/faults`, { method: 'POST', body: JSON.stringify({ latencyMs }) })),
  );

  const gatewayPort = await freePort();
  const gateway = await spawnGateway(gatewayPort, sandboxes);
  const floorPort = await freePort();
  const { child: floorChild, ready: floorReady } = await spawnWithReadyLine('bench/floor.ts', [
    '--port',
    String(floorPort),
    '--market',
    sandboxes.market!.target,
    '--signals',
    sandboxes.signals!.target,
    '--portfolio',
    sandboxes.portfolio!.target,
  ]);
  children.push(floorChild);
  const floor: System = { name: 'floor', url: floorReady.floor!, child: floorChild };

  await assertSameAnswer(floor.url, gateway.url);

  const options = (url: string, seconds: number): LoadOptions => ({
    url,
    body: BODY,
    headers: HEADERS,
    connections,
    durationSec: seconds,
  });
  for (const system of [floor, gateway]) await load(options(system.url, warmupSec));

  const samples: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? [floor, gateway] : [gateway, floor];
    for (const system of order) {
      await Promise.all(admin.map((url) => fetch(`${url}/reset`, { method: 'POST' })));
      await Promise.all(
        admin.map((url) => fetch(`${url}/faults`, { method: 'POST', body: JSON.stringify({ latencyMs }) })),
      );
      const cpuBefore = cpuMs(system.child.pid!);
      const result = await load(options(system.url, durationSec));
      const cpu = cpuMs(system.child.pid!) - cpuBefore;
      const calls = await upstreamCalls(admin);
      const sample: Sample = {
        system: system.name,
        ...result,
        cpuMsPerRequest: cpu / result.requests,
        upstreamCallsPerRequest: calls / result.requests,
        peakRssMb: peakRssMb(system.child.pid!),
      };
      samples.push(sample);
      console.log(
        `rep ${rep + 1} ${system.name.padEnd(10)} ${sample.rps.toFixed(0).padStart(6)} req/s  p50 ${sample.p50Ms.toFixed(2)} ms  p99 ${sample.p99Ms.toFixed(2)} ms  cpu ${sample.cpuMsPerRequest.toFixed(3)} ms/req  calls ${sample.upstreamCallsPerRequest.toFixed(2)}/req  non-2xx ${sample.non2xx}  with errors ${sample.withErrors}`,
      );
    }
  }
  report(samples);
}

async function spawnGateway(port: number, sandboxes: Record<string, { target: string }>): Promise<System> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      GRAPHIQL: 'false',
      MARKET_URL: sandboxes.market!.target,
      SIGNALS_URL: sandboxes.signals!.target,
      PORTFOLIO_ADDR: sandboxes.portfolio!.target,
      TRADING_ADDR: sandboxes.trading!.target,
    },
    // Access-log lines are written (as in production) and discarded here.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);
  return { name: 'switchyard', url: `http://127.0.0.1:${port}/graphql`, child };
}

async function assertSameAnswer(floorUrl: string, gatewayUrl: string): Promise<void> {
  const post = async (url: string) =>
    (
      await fetch(url, {
        method: 'POST',
        body: BODY,
        headers: { 'content-type': 'application/json', ...HEADERS },
      })
    ).text();
  const [a, b] = await Promise.all([post(floorUrl), post(gatewayUrl)]);
  if (a !== b) {
    throw new Error(
      `floor and gateway answers differ:\nfloor:   ${a.slice(0, 300)}\ngateway: ${b.slice(0, 300)}`,
    );
  }
  console.log(`answers identical (${a.length} bytes)`);
}

async function upstreamCalls(adminUrls: string[]): Promise<number> {
  const stats = await Promise.all(
    adminUrls.map(
      async (url) =>
        ((await (await fetch(`${url}/stats`)).json()) as { stats: { total: number } }).stats.total,
    ),
  );
  return stats.reduce((sum, n) => sum + n, 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function report(samples: Sample[]): void {
  const summary = (['floor', 'switchyard'] as const).map((system) => {
    const of = samples.filter((s) => s.system === system);
    return {
      system,
      rps: median(of.map((s) => s.rps)),
      p50Ms: median(of.map((s) => s.p50Ms)),
      p99Ms: median(of.map((s) => s.p99Ms)),
      cpuMsPerRequest: median(of.map((s) => s.cpuMsPerRequest)),
      peakRssMb: Math.max(...of.map((s) => s.peakRssMb)),
      upstreamCallsPerRequest: median(of.map((s) => s.upstreamCallsPerRequest)),
      answersWithErrors: of.reduce((sum, s) => sum + s.withErrors, 0),
    };
  });
  const floor = summary[0]!;
  const lines = [
    `portfolio (50 positions), ${latencyMs} ms upstream latency, ${connections} connections, ${reps} x ${durationSec} s, medians`,
    '',
    '| system | req/s | ratio | p50 ms | p99 ms | CPU ms/req | CPU ratio | peak RSS MB | upstream calls/req | answers with errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...summary.map(
      (s) =>
        `| ${s.system} | ${s.rps.toFixed(0)} | ${(s.rps / floor.rps).toFixed(2)}x | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${s.cpuMsPerRequest.toFixed(3)} | ${(s.cpuMsPerRequest / floor.cpuMsPerRequest).toFixed(2)}x | ${s.peakRssMb} | ${s.upstreamCallsPerRequest.toFixed(2)} | ${s.answersWithErrors} |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}\n`);
  mkdirSync('bench/results', { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(`bench/results/${stamp}-portfolio.md`, `${lines.join('\n')}\n`);
  writeFileSync(
    `bench/results/${stamp}-portfolio.json`,
    `${JSON.stringify({ samples, summary }, null, 2)}\n`,
  );
  console.log(`written: bench/results/${stamp}-portfolio.{md,json}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
