/**
 * Redis for tests: REDIS_URL (default redis://127.0.0.1:6379); when nothing answers there, a
 * redis-server on a free port if one is installed; otherwise the caller skips loudly — unless
 * REQUIRE_REDIS=1 (CI), where a missing Redis fails the run.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
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

/** A master, its replica and the sentinels that watch them, each a process of the test's own. */
export interface TestRedisSentinel {
  /** REDIS_SENTINELS: the sentinels as host:port,… */
  readonly sentinels: string;
  /** REDIS_SENTINEL_NAME: the master group name. */
  readonly name: string;
  /** The port of the master now, as the sentinels say. */
  masterPort(): Promise<number>;
  /** kill -9 of the current master (the sentinels then promote the replica). */
  killMaster(): Promise<void>;
  /** Sends `signal` to the current master (SIGSTOP: hung, connections stay open; SIGCONT: back). */
  signalMaster(signal: NodeJS.Signals, port?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The options of a test Sentinel deployment. */
export interface TestRedisSentinelOptions {
  /** How many sentinels watch the master; the quorum is a majority of them. @default 1 */
  sentinels?: 1 | 3;
  /** Time without an answer before a sentinel calls the master down, in ms. @default 1000 */
  downAfterMs?: number;
  /** @default 'mymaster' */
  name?: string;
  /**
   * The master's and replica's password (`--requirepass`, `--masterauth` for replication; the
   * sentinels get `sentinel auth-pass`). Unset: no AUTH.
   */
  password?: string;
  /**
   * An ACL user of the data nodes with `password` and every permission, the `default` user then
   * turned off, so only this user gets in (replication and the sentinels use it too).
   */
  username?: string;
  /** The sentinels' own password (`requirepass` on each, which they also use among themselves). */
  sentinelPassword?: string;
}

const SERVER_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

/**
 * Starts a master, a replica (`--replicaof`) and 1 or 3 sentinels on free ports, in a temp dir,
 * and waits until the sentinels know the replica (and each other): a failover can then happen.
 * Null when redis-server is missing (the caller skips loudly), an error when CI=true or
 * REQUIRE_REDIS=1.
 */
export async function useTestRedisSentinel({
  sentinels: count = 1,
  downAfterMs = 1000,
  name = 'mymaster',
  password,
  username,
  sentinelPassword,
}: TestRedisSentinelOptions = {}): Promise<TestRedisSentinel | null> {
  if (username && !password) throw new Error('useTestRedisSentinel: a username needs a password');
  // The data nodes' AUTH, for their replication and for this helper's own connections.
  const auth = [
    ...(password ? ['--requirepass', password, '--masterauth', password] : []),
    ...(username
      ? [
          ...['--user', username, 'on', `>${password}`, '~*', '&*', '+@all'],
          ...['--user', 'default', 'off', '--masteruser', username],
        ]
      : []),
  ];
  const credentials = { ...(username ? { username } : {}), ...(password ? { password } : {}) };
  if (spawnSync('redis-server', ['--version']).error) {
    if (process.env.CI === 'true' || process.env.REQUIRE_REDIS === '1')
      throw new Error('CI/REQUIRE_REDIS: redis-server is not installed; Redis Sentinel tests need it');
    console.warn('SKIPPING Redis Sentinel tests: redis-server is not installed');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-sentinel-'));
  const children: ChildProcess[] = [];
  const servers = new Map<number, ChildProcess>();
  const start = (args: string[]) => {
    const child = spawn('redis-server', args, { stdio: 'ignore', cwd: dir });
    child.on('error', () => {}); // a missing binary shows as the port never answering
    children.push(child);
    return child;
  };
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await Promise.all(children.map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  const sentinelPorts: number[] = [];
  try {
    const masterPort = await freePort();
    servers.set(masterPort, start(['--port', String(masterPort), ...SERVER_ARGS, ...auth]));
    await waitFor(() => answers(`redis://127.0.0.1:${masterPort}`), 'the master did not start');
    const replicaPort = await freePort();
    servers.set(
      replicaPort,
      start([
        '--port',
        String(replicaPort),
        '--replicaof',
        '127.0.0.1',
        String(masterPort),
        ...SERVER_ARGS,
        ...auth,
      ]),
    );
    const replica = new Redis({
      port: replicaPort,
      lazyConnect: true,
      retryStrategy: () => 100,
      ...credentials,
    });
    replica.on('error', () => {});
    try {
      await waitFor(
        async () => /master_link_status:up/.test(await replica.info('replication').catch(() => '')),
        'the replica did not sync with the master',
      );
    } finally {
      replica.disconnect();
    }
    const quorum = Math.floor(count / 2) + 1;
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      // The sentinel rewrites its file (known replicas, sentinels, epochs): one writable file each.
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} 3000`,
          `sentinel parallel-syncs ${name} 1`,
          ...(username ? [`sentinel auth-user ${name} ${username}`] : []),
          ...(password ? [`sentinel auth-pass ${name} ${password}`] : []),
          ...(sentinelPassword ? [`requirepass ${sentinelPassword}`] : []),
          '',
        ].join('\n'),
      );
      start([conf, '--sentinel']);
      sentinelPorts.push(port);
    }
    // Ready when every sentinel knows the replica and (with several) the other sentinels.
    for (const port of sentinelPorts) {
      const sentinel = new Redis({
        port,
        lazyConnect: true,
        retryStrategy: () => 100,
        ...(sentinelPassword ? { password: sentinelPassword } : {}),
      });
      sentinel.on('error', () => {});
      try {
        await waitFor(async () => {
          const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', name).catch(() => [])) as string[][];
          const peers = (await sentinel.call('SENTINEL', 'SENTINELS', name).catch(() => [])) as unknown[];
          return replicas.length === 1 && peers.length === count - 1;
        }, `sentinel ${port} did not find the replica and its peers`);
      } finally {
        sentinel.disconnect();
      }
    }
  } catch (err) {
    await stop();
    if (process.env.CI === 'true' || process.env.REQUIRE_REDIS === '1')
      throw new Error(`CI/REQUIRE_REDIS: Redis Sentinel could not be started: ${String(err)}`);
    console.warn(`SKIPPING Redis Sentinel tests: redis-server could not start one (${String(err)})`);
    return null;
  }
  const masterPort = async () => {
    const sentinel = new Redis({
      port: sentinelPorts[0]!,
      lazyConnect: true,
      retryStrategy: () => null,
      ...(sentinelPassword ? { password: sentinelPassword } : {}),
    });
    sentinel.on('error', () => {});
    try {
      const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
      return Number(port);
    } finally {
      sentinel.disconnect();
    }
  };
  return {
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    name,
    masterPort,
    async killMaster() {
      const server = servers.get(await masterPort());
      if (server) await kill(server);
    },
    async signalMaster(signal, port) {
      servers.get(port ?? (await masterPort()))?.kill(signal);
    },
    stop,
  };
}

/** Polls `done` every 50 ms until it holds, or fails with `message` after `timeoutMs`. */
async function waitFor(done: () => Promise<boolean>, message: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > timeoutMs) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
