/** One bounded load run against a URL: wrk when installed (C, light on the shared CPU), autocannon otherwise. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Answers carrying a GraphQL `errors` entry (wrk only; autocannon reports -1). */
  withErrors: number;
}

export interface LoadOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationSec: number;
  /**
   * Distinct requests sent in turn instead of `body` and `headers` (signed mutations: each has its
   * own nonce). wrk only; running out starts over, and the replays then count as errors.
   */
  requests?: readonly { body: string; headers: Record<string, string> }[];
}

const run = promisify(execFile);

/** Whether wrk is on the PATH. */
export async function hasWrk(): Promise<boolean> {
  try {
    await run('wrk', ['--version']).catch((err: { stdout?: string }) => {
      if (!err.stdout?.includes('wrk')) throw err;
    });
    return true;
  } catch {
    return false;
  }
}

export async function loadWithWrk(options: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const script = join(dir, 'post.lua');
  const headerLines = Object.entries({ 'content-type': 'application/json', ...options.headers })
    .map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
    .join('\n');
  // Requests in turn: a data file of two lines per request (headers as name=value by tabs, then the
  // body), formatted once per thread in init().
  let requestsScript = '';
  if (options.requests) {
    const data = join(dir, 'requests.txt');
    writeFileSync(
      data,
      options.requests
        .map(
          ({ body, headers }) =>
            `${Object.entries(headers)
              .map(([name, value]) => `${name}=${value}`)
              .join('\t')}\n${body}\n`,
        )
        .join(''),
    );
    requestsScript =
      `local requests = {}\nlocal index = 0\n` +
      `local load_requests = function()\n` +
      `  local file = io.open(${JSON.stringify(data)}, "r")\n` +
      `  while true do\n` +
      `    local line = file:read("*l")\n` +
      `    if not line then break end\n` +
      `    local body = file:read("*l")\n` +
      `    local headers = { ["content-type"] = "application/json", ["Host"] = wrk.headers["Host"] }\n` +
      `    for pair in string.gmatch(line, "[^\t]+") do\n` +
      `      local name, value = string.match(pair, "^([^=]+)=(.*)$")\n` +
      `      headers[name] = value\n` +
      `    end\n` +
      `    table.insert(requests, wrk.format("POST", nil, headers, body))\n` +
      `  end\n` +
      `  file:close()\n` +
      `end\n` +
      `request = function()\n` +
      `  index = index + 1\n` +
      `  if index > #requests then index = 1 end\n` +
      `  return requests[index]\n` +
      `end\n`;
  }
  // Every thread counts answers that carry GraphQL errors: a fast wrong answer must not count as speed.
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(options.body)}\n${headerLines}\n` +
      `local threads = {}\n` +
      `setup = function(thread) table.insert(threads, thread) end\n` +
      requestsScript +
      `init = function() graphql_errors = 0${options.requests ? '; load_requests()' : ''} end\n` +
      `response = function(status, headers, body) if string.find(body, '"errors"', 1, true) then graphql_errors = graphql_errors + 1 end end\n` +
      `done = function(summary, latency, requests)\n` +
      `  local errors = 0\n` +
      `  for _, thread in ipairs(threads) do errors = errors + thread:get("graphql_errors") end\n` +
      `  io.write(string.format("RESULT %d %d %f %f %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status, errors))\n` +
      `end\n`,
  );
  const { stdout } = await run(
    'wrk',
    [
      '-t1',
      `-c${options.connections}`,
      `-d${options.durationSec}s`,
      '--timeout',
      '5s',
      '-s',
      script,
      options.url,
    ],
    { maxBuffer: 1 << 20 },
  );
  const match = /RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+) (\d+)/.exec(stdout);
  if (!match) throw new Error(`unexpected wrk output:\n${stdout}`);
  const [, requests, durationUs, p50Us, p99Us, non2xx, withErrors] = match.map(Number) as number[];
  return {
    requests: requests!,
    rps: requests! / (durationUs! / 1e6),
    p50Ms: p50Us! / 1000,
    p99Ms: p99Us! / 1000,
    non2xx: non2xx!,
    withErrors: withErrors!,
  };
}

export async function loadWithAutocannon(options: LoadOptions): Promise<LoadResult> {
  if (options.requests) throw new Error('distinct requests (signed mutations) need wrk');
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    body: options.body,
    headers: { 'content-type': 'application/json', ...options.headers },
    connections: options.connections,
    duration: options.durationSec,
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    withErrors: -1,
  };
}
