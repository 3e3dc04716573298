/**
 * Redis for tests: REDIS_URL (default redis://127.0.0.1:6379); when nothing answers there, a
 * redis-server on a free port if one is installed; otherwise the caller skips loudly — unless
 * REQUIRE_REDIS=1 (CI), where a missing Redis fails the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { freePort } from '../../bench/processes.js';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(Number(port || 6379), hostname);
  });
}

/**
 * Finds or starts a Redis; null when none can be had (and REQUIRE_REDIS is not set). `private`
 * always starts a redis-server of the test's own, which the test may stop (outage tests).
 */
export async function useTestRedis(options: { private?: boolean } = {}): Promise<TestRedis | null> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!options.private && (await answers(url))) return { url, stop: async () => {} };
  const port = await freePort();
  let child: ChildProcess | undefined;
  try {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await new Promise<void>((resolve, reject) => {
      child!.once('error', reject);
      const started = Date.now();
      const poll = async () => {
        if (await answers(`redis://127.0.0.1:${port}`)) resolve();
        else if (Date.now() - started > 5000) reject(new Error('redis-server did not start'));
        else setTimeout(poll, 50);
      };
      void poll();
    });
    const spawned = child;
    return {
      url: `redis://127.0.0.1:${port}`,
      stop: () =>
        new Promise<void>((resolve) => {
          if (spawned.exitCode !== null) return resolve();
          spawned.once('exit', () => resolve());
          spawned.kill('SIGKILL');
        }),
    };
  } catch (err) {
    child?.kill('SIGKILL');
    if (process.env.REQUIRE_REDIS === '1')
      throw new Error(`REQUIRE_REDIS=1 but no Redis is available: ${String(err)}`);
    console.warn(`SKIPPING Redis tests: nothing answers at ${url} and redis-server could not be started`);
    return null;
  }
}
