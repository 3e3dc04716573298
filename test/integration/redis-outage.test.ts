/**
 * A hung Redis under load (DESIGN.md "Failure policy"): its process is stopped (SIGSTOP), so the
 * connection stays open and every command waits, as on an overloaded or frozen host. Reads keep
 * answering with data, none pays more than one command timeout (500 ms in main.ts), mutations are
 * refused with 503 at once, and everything is back soon after Redis resumes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/processes.js';
import { order, PLACE } from '../helpers/fleet.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type TestRedis, useTestRedis } from '../helpers/redis.js';
import { type ReadSample, STEADY_READ, steadyReads } from '../helpers/steady-reads.js';

const READ = STEADY_READ;
/** main.ts's ioredis commandTimeout. */
const COMMAND_TIMEOUT_MS = 500;

function summary(samples: readonly ReadSample[]) {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { n: sorted.length, median: at(0.5), p99: at(0.99), max: Math.round(sorted.at(-1) ?? 0) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis paused under load', () => {
  let redis: TestRedis | null;
  let pid = 0;
  let gateway: TestGateway | undefined;
  const logs = capturedLogs();

  beforeAll(async () => {
    redis = await useTestRedis({ private: true });
    if (!redis) return;
    const client = new Redis(redis.url);
    const info = await client.info('server');
    await client.quit();
    pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    // The response cache on (test gateways turn it off): a cache read is one of the Redis commands
    // a read makes.
    gateway = await startTestGateway({
      env: { REDIS_URL: redis.url, RESPONSE_CACHE: 'true' },
      logger: logs.logger,
    });
  });
  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    await gateway?.close();
    await redis?.stop();
  });

  it('keeps answering reads within one command timeout, refuses mutations at once, and recovers', async (context) => {
    if (!redis || !gateway) return context.skip();
    expect(pid).toBeGreaterThan(0);
    expect((await gateway.signed(PLACE, order())).body.data?.placeOrder).toMatchObject({ status: 'OPEN' });

    const warm = steadyReads(gateway, 20);
    await sleep(1000);
    const before = await warm.stop();
    expect(before.every((s) => s.status === 200 && s.symbol === 'BTC')).toBe(true);

    process.kill(pid, 'SIGSTOP');
    const paused = performance.now();
    const load = steadyReads(gateway, 20);
    await sleep(1500);
    const mutationStarted = performance.now();
    const refused = await gateway.signed(PLACE, order());
    const mutationMs = performance.now() - mutationStarted;
    await sleep(1500);
    const during = await load.stop();
    const readiness = await fetch(`${gateway.origin}/readyz`);

    process.kill(pid, 'SIGCONT');
    const resumed = performance.now();
    let recoveredMs = Number.NaN;
    while (performance.now() - resumed < 10_000) {
      const reply = await gateway.signed(PLACE, order());
      if (reply.status === 200 && reply.body.data?.placeOrder) {
        recoveredMs = performance.now() - resumed;
        break;
      }
      await sleep(50);
    }
    const after = steadyReads(gateway, 20);
    await sleep(500);
    const healed = await after.stop();

    console.info('reads with Redis paused (ms)', {
      before: summary(before),
      paused: summary(during),
      pauseMs: Math.round(resumed - paused),
      mutationRefusedInMs: Math.round(mutationMs),
      recoveredMs: Math.round(recoveredMs),
      after: summary(healed),
    });

    // Reads answer, with data, during the whole pause.
    expect(during.length).toBeGreaterThan(100);
    expect(during.filter((s) => s.status !== 200 || s.symbol !== 'BTC')).toEqual([]);
    // No read pays more than one command timeout (two would be ≥ 1000 ms), and once the breaker is
    // open nearly none pays any.
    expect(summary(during).max).toBeLessThan(COMMAND_TIMEOUT_MS + 400);
    expect(summary(during).median).toBeLessThan(100);
    // Mutations fail closed, fast: the nonce cannot be checked.
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(mutationMs).toBeLessThan(200);
    expect(readiness.status).toBe(503);
    // Back within the breaker's probe period once Redis answers.
    expect(recoveredMs).toBeLessThan(2000);
    expect(healed.every((s) => s.status === 200 && s.symbol === 'BTC')).toBe(true);
    // The breaker reopened every 0.7 s of the 3 s pause: the log says it once, and once that it healed.
    expect(logs.lines.filter((line) => /^redis/.test(line.msg)).map((line) => line.msg.slice(0, 20))).toEqual(
      ['redis unreachable: r', 'redis is back: share'],
    );
  });
});

/** A pino logger whose lines the test reads (level info: the "back" line is info). */
function capturedLogs() {
  const lines: { level: number; msg: string; time: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A redis-server on `port` of its own, which the test stops and starts again on the same port. */
async function redisServer(port: number): Promise<{ stop(): Promise<void> }> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const started = Date.now();
  for (;;) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    const ok = await client.connect().then(
      () => true,
      () => false,
    );
    client.disconnect();
    if (ok) break;
    if (Date.now() - started > 5000) throw new Error('redis-server did not start');
    await sleep(50);
  }
  return {
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('Redis outage logs', () => {
  it('say once that Redis is down and once that it is back, not once per retry', async (context) => {
    const available = await useTestRedis({ private: true }); // is there a redis-server to run?
    if (!available) return context.skip();
    await available.stop();
    const port = await freePort();
    let server = await redisServer(port);
    const { logger, lines } = capturedLogs();
    const gateway = await startTestGateway({ env: { REDIS_URL: `redis://127.0.0.1:${port}` }, logger });
    try {
      const redisLines = () => lines.filter((line) => /^redis/.test(line.msg));
      expect(redisLines()).toEqual([]);

      await server.stop();
      const down = Date.now();
      // Anonymous traffic through the stores meanwhile (rate limits; API keys are another story).
      while (Date.now() - down < 4000) {
        await gateway.graphql(READ, {}, {});
        await sleep(100);
      }
      const during = redisLines();
      server = await redisServer(port);
      const restarted = Date.now();
      while (!redisLines().some((line) => /^redis is back/.test(line.msg)) && Date.now() - restarted < 8000)
        await sleep(50);
      const summary = redisLines().map((line) => `${line.level} ${line.msg}`);
      console.info('redis log lines over a 4 s outage and its recovery', summary);

      expect(during).toHaveLength(1);
      expect(during[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/^redis unreachable/) });
      expect(redisLines()).toHaveLength(2);
      expect(redisLines()[1]).toMatchObject({ level: 30, msg: expect.stringMatching(/^redis is back/) });
      // Every warning over the outage, of any part: a handful, not one per retry or per request.
      const warnings = lines.filter((line) => line.level >= 40 && line.time >= down && line.time < restarted);
      const perMessage: Record<string, number> = {};
      for (const { msg } of warnings) perMessage[msg] = (perMessage[msg] ?? 0) + 1;
      console.info('warnings during the outage, per message', perMessage);
      expect(warnings).toHaveLength(1);
    } finally {
      await gateway.close();
      await server.stop();
    }
  }, 30_000);
});
