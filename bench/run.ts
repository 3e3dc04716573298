/**
 * `npm run bench`: every scenario of bench/scenarios.ts against Switchyard (production mode, its full
 * plugin set, an authenticated client — bench/identity.ts) and against the plain aggregator floor
 * (bench/floor.ts), each a separate process over the same sandbox processes, interleaved and
 * repeated; prints and writes req/s, p50, p99, CPU ms per request, peak RSS, upstream calls per
 * request and the ratios to the floor, as medians. Loopback only, bounded in time (~6 minutes with
 * the defaults). A run where any answer was an error or non-2xx is reported as such and exits 1.
 *
 * Options: --scenario NAME (repeatable; default: every runnable one) --duration 10 (s per run)
 *          --reps 3 --connections 32 --warmup 3 (s) --env KEY=VALUE (repeatable: extra gateway env,
 *          e.g. --env OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 to measure tracing)
 *          --semi-space 64 (MB: the gateway's --max-semi-space-size, as start:prod sets it)
 *          --source (runs the gateway and the floor from TypeScript through tsx instead of compiled
 *          first with tsconfig.bench.json, as production runs the gateway: node dist/src/main.js)
 *          --node-flag=--trace-gc (repeatable: another flag for the gateway's node, after --semi-space;
 *          the gateway's stdout and stderr then reach this terminal)
 *          --cpu-prof (writes the gateway's V8 CPU profile to bench/profiles/ when it stops;
 *          summarise it with `tsx bench/profile-summary.ts FILE`)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type BenchIdentity, startBenchIdentity } from './identity.js';
import { hasWrk, type LoadOptions, type LoadResult, loadWithAutocannon, loadWithWrk } from './load.js';
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
import { type Scenario, scenarios } from './scenarios.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    duration: { type: 'string', default: '10' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '3' },
    env: { type: 'string', multiple: true },
    'cpu-prof': { type: 'boolean', default: false },
    source: { type: 'boolean', default: false },
    'semi-space': { type: 'string', default: '64' },
    'node-flag': { type: 'string', multiple: true },
  },
});
/** Compiled (the default): the gateway as production runs it, the floor alike; --source: through tsx. */
const compiled = !values.source;
const durationSec = Number(values.duration);
const reps = Number(values.reps);
const connections = Number(values.connections);
const warmupSec = Number(values.warmup);
const extraEnv = Object.fromEntries(
  (values.env ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env takes KEY=VALUE, got "${pair}"`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

const unknown = (values.scenario ?? []).filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length > 0) {
  throw new Error(
    `unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`,
  );
}
const loadStart = loadavg()[0]!.toFixed(2);
const selected = scenarios.filter((s) => !values.scenario || values.scenario.includes(s.name));

/** Gateway environment every scenario starts from: the response cache is on only where a scenario says. */
// Every request of a scenario is identical: deduplication would share upstream calls across the 32
// connections and measure something no real traffic mix gives. It is off here; its savings are
// reported by the resilience tests (20 concurrent identical reads → 1 call).
const BASE_GATEWAY_ENV = { RESPONSE_CACHE: 'false', UPSTREAM_DEDUP: 'false' };
/** Most requests a system could answer per second here: distinct signed requests are made for this many. */
const MAX_RATE = 3000;

type SystemName = 'floor' | 'switchyard';

interface System {
  name: SystemName;
  /** URL of a scenario on this system. */
  url(scenario: Scenario): string;
  child: ChildProcess;
}

interface Sample extends LoadResult {
  scenario: string;
  system: SystemName;
  cpuMsPerRequest: number;
  upstreamCallsPerRequest: number;
  peakRssMb: number;
}

interface Summary {
  scenario: string;
  system: SystemName;
  rps: number;
  rpsRatio: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  cpuRatio: number;
  peakRssMb: number;
  upstreamCallsPerRequest: number;
  answersWithErrors: number;
  non2xx: number;
}

const children: ChildProcess[] = [];
let identity: BenchIdentity | undefined;
const cleanup = async () => {
  await Promise.all(children.map(stop));
  await identity?.close();
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function main(): Promise<void> {
  const started = Date.now();
  const useWrk = await hasWrk();
  const load = useWrk ? loadWithWrk : loadWithAutocannon;
  console.log(`load generator: ${useWrk ? 'wrk' : 'autocannon (install wrk for lighter load generation)'}`);
  for (const scenario of selected.filter((s) => s.pending)) {
    console.log(`scenario ${scenario.name}: pending — needs ${scenario.pending}`);
  }
  const runnable = selected.filter((s) => !s.pending && (useWrk || !s.signed));
  if (runnable.length === 0) throw new Error('no runnable scenario selected');

  identity = await startBenchIdentity();
  const { sandboxes, env: upstreamEnv } = await startSandboxProcesses(children);
  const admin = Object.values(sandboxes).map((s) => s.adminUrl);
  const setLatency = (latencyMs: number) =>
    Promise.all(
      admin.map((url) => fetch(`${url}/faults`, { method: 'POST', body: JSON.stringify({ latencyMs }) })),
    );

  if (compiled) {
    console.log('compiling the gateway and the floor (tsconfig.bench.json → dist/)');
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.bench.json'], {
      stdio: 'inherit',
    });
    execFileSync(process.execPath, ['scripts/copy-assets.mjs'], { stdio: 'inherit' });
  }
  const floorScript = compiled ? 'dist/bench/floor.js' : 'bench/floor.ts';
  const { child: floorChild, ready: floorReady } = await spawnWithReadyLine(floorScript, [
    ...['--port', String(await freePort())],
    ...['--market', sandboxes.market!.target, '--signals', sandboxes.signals!.target],
    ...['--portfolio', sandboxes.portfolio!.target, '--trading', sandboxes.trading!.target],
  ]);
  children.push(floorChild);
  const floor: System = {
    name: 'floor',
    url: (scenario) => `${floorReady.floor!}${scenario.floorPath}`,
    child: floorChild,
  };

  const samples: Sample[] = [];
  const failed: string[] = [];
  const coldStarts: number[] = [];
  // One gateway process per distinct scenario environment, one after the other.
  const groups = new Map<string, Scenario[]>();
  for (const scenario of runnable) {
    const key = JSON.stringify(scenario.gatewayEnv ?? {});
    groups.set(key, [...(groups.get(key) ?? []), scenario]);
  }
  for (const [key, group] of groups) {
    const spawnedAt = performance.now();
    const gateway = await spawnGateway(upstreamEnv, {
      ...identity.gatewayEnv,
      ...BASE_GATEWAY_ENV,
      ...(JSON.parse(key) as Record<string, string>),
      ...extraEnv,
    });
    // Cold start: process start to the first answered query (the first scenario's, as a client sends it).
    const first = group[0]!;
    const answered = await fetch(gateway.url(first), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(first.signed ? {} : identity.headers) },
      body: first.signed ? '{"query":"{ __typename }"}' : first.body(0, 'cold-start'),
    });
    await answered.text();
    coldStarts.push(Math.round(performance.now() - spawnedAt));
    console.log(`gateway cold start: ${coldStarts.at(-1)} ms from spawn to the first answered query`);
    for (const scenario of group) {
      console.log(`\n== ${scenario.name}: ${scenario.description}`);
      await setLatency(scenario.latencyMs);
      let runs = 0;
      const options = (system: System, seconds: number): LoadOptions => {
        const url = system.url(scenario);
        const base = { url, connections, durationSec: seconds };
        if (!scenario.signed) return { ...base, body: scenario.body(0, ''), headers: identity!.headers };
        // Signed just before the run: `created` must stay inside the signature window.
        const run = `${scenario.name}-${system.name}-${runs++}-${Date.now()}`;
        const requests = Array.from({ length: Math.ceil(seconds * MAX_RATE) + 2000 }, (_, i) => {
          const body = scenario.body(i, run);
          return { body, headers: identity!.signed(url, body) };
        });
        return { ...base, body: requests[0]!.body, headers: {}, requests };
      };
      try {
        await assertSameAnswer(scenario, floor, gateway, identity);
      } catch (err) {
        console.log(`SKIPPED ${scenario.name}: ${(err as Error).message}`);
        failed.push(`${scenario.name}: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      for (const system of [floor, gateway]) await load(options(system, warmupSec));
      for (let rep = 0; rep < reps; rep++) {
        const order = rep % 2 === 0 ? [floor, gateway] : [gateway, floor];
        for (const system of order) {
          await Promise.all(admin.map((url) => fetch(`${url}/reset`, { method: 'POST' })));
          await setLatency(scenario.latencyMs);
          const loadOptions = options(system, durationSec);
          const cpuBefore = cpuMs(system.child.pid!);
          const result = await load(loadOptions);
          const cpu = cpuMs(system.child.pid!) - cpuBefore;
          const calls = await upstreamCalls(admin);
          const sample: Sample = {
            scenario: scenario.name,
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
    }
    await stop(gateway.child);
  }
  await setLatency(0);
  const invalid = samples.filter((s) => s.non2xx > 0 || s.withErrors > 0);
  report(
    samples,
    selected,
    failed,
    invalid.length > 0,
    Math.round((Date.now() - started) / 1000),
    coldStarts,
  );
  if (failed.length > 0 || invalid.length > 0) {
    console.error(
      `INVALID RUN: ${failed.length} scenario(s) skipped, ${invalid.length} run(s) with error answers — see the table`,
    );
    process.exitCode = 1;
  }
}

async function spawnGateway(
  upstreamEnv: Record<string, string>,
  env: Record<string, string>,
): Promise<System> {
  const port = await freePort();
  const profiling = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', 'bench/profiles'] : [];
  const entry = compiled ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  // As start:prod and the Dockerfile run it; --semi-space trades memory for GC time.
  const nodeFlags = values['node-flag'] ?? [];
  const flags = [`--max-semi-space-size=${values['semi-space']}`, ...nodeFlags, ...profiling, ...entry];
  const child = spawn(process.execPath, flags, {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      GRAPHIQL: 'false',
      // Stops at once at the end (the CPU profile is written on a clean exit, before stop's SIGKILL).
      SHUTDOWN_DELAY: '0',
      ...upstreamEnv,
      ...env,
    },
    // Access-log lines are written (as in production) and discarded here.
    stdio: ['ignore', nodeFlags.length > 0 ? 'inherit' : 'ignore', 'inherit'],
  });
  children.push(child);
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);
  return { name: 'switchyard', url: () => `http://127.0.0.1:${port}/graphql`, child };
}

async function assertSameAnswer(
  scenario: Scenario,
  floor: System,
  gateway: System,
  who: BenchIdentity,
): Promise<void> {
  const post = async (system: System) => {
    const url = system.url(scenario);
    const body = scenario.body(0, `check-${system.name}`);
    const headers = scenario.signed ? who.signed(url, body) : who.headers;
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    const text = await response.text();
    return scenario.comparable ? scenario.comparable(text) : text;
  };
  const [a, b] = [await post(floor), await post(gateway)];
  if (a !== b || a.includes('"errors"')) {
    throw new Error(
      `floor and gateway answers differ (or carry errors):\nfloor:   ${a.slice(0, 300)}\ngateway: ${b.slice(0, 300)}`,
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

function summarise(samples: Sample[]): Summary[] {
  const scenarioNames = [...new Set(samples.map((s) => s.scenario))];
  return scenarioNames.flatMap((scenario) => {
    const rows = (['floor', 'switchyard'] as const).map((system) => {
      const of = samples.filter((s) => s.scenario === scenario && s.system === system);
      return {
        scenario,
        system,
        rps: median(of.map((s) => s.rps)),
        p50Ms: median(of.map((s) => s.p50Ms)),
        p99Ms: median(of.map((s) => s.p99Ms)),
        cpuMsPerRequest: median(of.map((s) => s.cpuMsPerRequest)),
        peakRssMb: Math.max(...of.map((s) => s.peakRssMb)),
        upstreamCallsPerRequest: median(of.map((s) => s.upstreamCallsPerRequest)),
        answersWithErrors: of.reduce((sum, s) => sum + s.withErrors, 0),
        non2xx: of.reduce((sum, s) => sum + s.non2xx, 0),
      };
    });
    const floor = rows[0]!;
    return rows.map((row) => ({
      ...row,
      rpsRatio: row.rps / floor.rps,
      cpuRatio: row.cpuMsPerRequest / floor.cpuMsPerRequest,
    }));
  });
}

function report(
  samples: Sample[],
  chosen: readonly Scenario[],
  failed: readonly string[],
  invalid: boolean,
  seconds: number,
  coldStarts: readonly number[],
): void {
  const summary = summarise(samples);
  const lines = [
    `${summary.length / 2} scenarios, ${connections} connections, ${reps} x ${durationSec} s interleaved, medians; gateway NODE_ENV=production with Redis, client: API key (plan bench); ${seconds} s in all; load average ${loadStart} at start, ${loadavg()[0]!.toFixed(2)} at the end (${cpus().length} CPUs)`,
    ...(invalid ? ['', '**INVALID: some answers were errors or non-2xx (columns on the right).**'] : []),
    '',
    '| scenario | system | req/s | ratio | p50 ms | p99 ms | CPU ms/req | CPU ratio | peak RSS MB | upstream calls/req | answers with errors | non-2xx |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...summary.map(
      (s) =>
        `| ${s.scenario} | ${s.system} | ${s.rps.toFixed(0)} | ${s.rpsRatio.toFixed(2)}x | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${s.cpuMsPerRequest.toFixed(3)} | ${s.cpuRatio.toFixed(2)}x | ${s.peakRssMb} | ${s.upstreamCallsPerRequest.toFixed(2)} | ${s.answersWithErrors} | ${s.non2xx} |`,
    ),
    '',
    ...chosen.filter((s) => s.pending).map((s) => `- ${s.name}: pending — needs ${s.pending}.`),
    ...failed.map((reason) => `- skipped ${reason}`),
    `- gateway cold start (process spawn to first answered query, compiled, production with Redis and PostgreSQL): ${coldStarts.map((ms) => `${ms} ms`).join(', ')}`,
  ];
  console.log(`\n${lines.join('\n')}\n`);
  mkdirSync('bench/results', { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(`bench/results/${stamp}-bench.md`, `${lines.join('\n')}\n`);
  writeFileSync(
    `bench/results/${stamp}-bench.json`,
    `${JSON.stringify({ options: { connections, reps, durationSec, warmupSec, extraEnv }, samples, summary }, null, 2)}\n`,
  );
  console.log(`written: bench/results/${stamp}-bench.{md,json}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
