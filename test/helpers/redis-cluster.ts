/**
 * A real local Redis Cluster for tests: 6 redis-server processes in cluster mode (3 masters, 3
 * replicas), each on free ports in a temp dir of its own, joined by `redis-cli --cluster create`.
 * Null when redis-server or redis-cli is missing (the caller skips loudly), an error when CI=true or
 * REQUIRE_REDIS=1, as the other Redis helpers do (test/helpers/redis.ts).
 *
 * The nodes run with a short node timeout (1 s: a lost master is failed over within a few seconds,
 * not the default 15 s) and `cluster-require-full-coverage no`, as the README asks of production:
 * while one master's slots have no master, the other slots keep answering.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../bench/processes.js';

/** A cluster node as the test sees it. */
export interface ClusterNodeInfo {
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** Whether the cluster flags it as failed (or possibly failed). */
  readonly failed: boolean;
  /** Slot ranges it owns (masters). */
  readonly slots: readonly [number, number][];
}

export interface TestRedisCluster {
  /** REDIS_CLUSTER_NODES: every node as host:port,… */
  readonly nodes: string;
  /** The startup nodes as ioredis's Cluster takes them. */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** The slot of each key (CLUSTER KEYSLOT, pipelined on one node). */
  slotsOf(keys: readonly string[]): Promise<number[]>;
  /** The port of the live master that owns `slot` now, undefined while none does. */
  masterOf(slot: number): Promise<number | undefined>;
  /** The cluster's view of its nodes, asked of a live node. */
  describe(): Promise<ClusterNodeInfo[]>;
  /** Keys held by each live master (DBSIZE), by port. */
  keysPerMaster(): Promise<Map<number, number>>;
  /** kill -9 of the master that owns `slot`; returns its port. */
  killMasterOf(slot: number): Promise<number>;
  /** Sends `signal` to a node (SIGSTOP: hung, its connections stay open; SIGCONT: back). */
  signal(port: number, signal: 'SIGSTOP' | 'SIGCONT'): void;
  /** Starts a killed node again, on its port with its nodes.conf: it rejoins (as a replica). */
  restart(port: number): Promise<void>;
  /** Wakes stopped nodes, restarts killed ones, and waits until the cluster is whole (waitHealthy). */
  heal(): Promise<void>;
  /** Resolves once every live node says cluster_state:ok and every slot has a live master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** The last `lines` of every node's redis.log, headed by its port (printed when a test fails). */
  logTails(lines?: number): string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** Start-up (six processes, the create, the first sync) must fit in this. */
const START_TIMEOUT_MS = 45_000;

function required(): boolean {
  return process.env.CI === 'true' || process.env.REQUIRE_REDIS === '1';
}

/** The options of a test cluster. */
export interface TestRedisClusterOptions {
  /** Time without an answer before the cluster calls a node down, in ms. @default 1000 */
  nodeTimeoutMs?: number;
  /** Every node's password (`--requirepass`, and `--masterauth` for its replication). Unset: no AUTH. */
  password?: string;
}

/** Starts a cluster, or null (skip) where redis-server/redis-cli are missing outside CI. */
export async function useTestRedisCluster({
  nodeTimeoutMs = 1000,
  password,
}: TestRedisClusterOptions = {}): Promise<TestRedisCluster | null> {
  for (const binary of ['redis-server', 'redis-cli']) {
    if (spawnSync(binary, ['--version']).error) {
      if (required())
        throw new Error(`CI/REQUIRE_REDIS: ${binary} is not installed; Redis Cluster tests need it`);
      console.warn(`SKIPPING Redis Cluster tests: ${binary} is not installed`);
      return null;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));
  const servers = new Map<number, ChildProcess>();
  /** Nodes stopped with SIGSTOP: running, but answering nothing. */
  const paused = new Set<number>();
  const busPorts = new Map<number, number>();
  // Whatever happens to the test (a crash, a forgotten stop), no redis-server outlives the run.
  const killAll = () => {
    for (const child of servers.values())
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  const start = (port: number) => {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir, { recursive: true });
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        HOST,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-port',
        String(busPorts.get(port)),
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--cluster-require-full-coverage',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        nodeDir,
        '--logfile',
        'redis.log',
        ...(password ? ['--requirepass', password, '--masterauth', password] : []),
      ],
      { stdio: 'ignore' },
    );
    child.on('error', () => {}); // a missing binary shows as the port never answering
    servers.set(port, child);
  };
  const kill = async (port: number) => {
    const child = servers.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await Promise.all([...servers.keys()].map(kill));
    process.removeListener('exit', killAll);
    rmSync(dir, { recursive: true, force: true });
  };
  const alive = (port: number) => {
    const child = servers.get(port);
    return child !== undefined && child.exitCode === null && child.signalCode === null && !paused.has(port);
  };
  /** Runs one command on one node (a connection of its own, closed after). */
  const ask = async <T>(port: number, ...args: (string | number)[]): Promise<T> => {
    const node = new Redis({
      host: HOST,
      port,
      lazyConnect: true,
      retryStrategy: () => null,
      commandTimeout: 1000,
      ...(password ? { password } : {}),
    });
    node.on('error', () => {});
    try {
      await node.connect();
      return (await node.call(String(args[0]), ...args.slice(1))) as T;
    } finally {
      node.disconnect();
    }
  };
  const livePorts = () => [...servers.keys()].filter(alive);
  const describe = async (): Promise<ClusterNodeInfo[]> => {
    let lastError: unknown;
    for (const port of livePorts()) {
      try {
        return parseClusterNodes(await ask<string>(port, 'CLUSTER', 'NODES'));
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no cluster node answers: ${String(lastError)}`);
  };
  const masterOf = async (slot: number) => {
    const master = (await describe()).find(
      (node) =>
        node.role === 'master' && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    return master && alive(master.port) ? master.port : undefined;
  };
  const waitHealthy = async (timeoutMs = START_TIMEOUT_MS) => {
    await waitFor(
      async () => {
        for (const port of livePorts()) {
          const info = await ask<string>(port, 'CLUSTER', 'INFO').catch(() => '');
          if (!/cluster_state:ok/.test(info)) return false;
        }
        const nodes = await describe().catch(() => []);
        const masters = nodes.filter((node) => node.role === 'master' && !node.failed && alive(node.port));
        const covered = masters.reduce(
          (sum, m) => sum + m.slots.reduce((n, [from, to]) => n + to - from + 1, 0),
          0,
        );
        if (covered !== 16384) return false;
        // A replica can take over only once it has synced with its master.
        for (const replica of nodes.filter((node) => node.role === 'replica' && alive(node.port))) {
          const info = await ask<string>(replica.port, 'INFO', 'replication').catch(() => '');
          if (!/master_link_status:up/.test(info)) return false;
        }
        return true;
      },
      'the cluster did not reach cluster_state:ok with every slot served and every replica in sync',
      timeoutMs,
    );
  };

  try {
    const ports = new Set<number>();
    while (ports.size < 12) ports.add(await freePort());
    const [data, bus] = [[...ports].slice(0, 6), [...ports].slice(6)];
    for (const [i, port] of data.entries()) busPorts.set(port, bus[i]!);
    for (const port of data) start(port);
    await waitFor(
      async () =>
        (
          await Promise.all(
            data.map((port) =>
              ask(port, 'PING').then(
                () => true,
                () => false,
              ),
            ),
          )
        ).every(Boolean),
      'the cluster nodes did not start',
    );
    await new Promise<void>((resolve, reject) => {
      execFile(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...data.map((port) => `${HOST}:${port}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        // The password by environment: on the command line (-a) redis-cli warns that it is unsafe.
        {
          timeout: START_TIMEOUT_MS,
          env: { ...process.env, ...(password ? { REDISCLI_AUTH: password } : {}) },
        },
        (err, _stdout, stderr) =>
          err ? reject(new Error(`redis-cli --cluster create: ${stderr || err.message}`)) : resolve(),
      );
    });
    // The other nodes learn which ones are replicas by gossip, after `--cluster create` returns: under
    // load a node may still list them as masters without slots. Wait for its view, then for the sync.
    await waitFor(
      async () => (await describe()).filter((node) => node.role === 'replica').length === 3,
      'expected 3 replicas: the cluster never listed them',
    );
    await waitHealthy();
  } catch (err) {
    const logs = [...servers.keys()]
      .map((port) => {
        try {
          return `${port}: ${readFileSync(join(dir, String(port), 'redis.log'), 'utf8')
            .split('\n')
            .slice(-5)
            .join(' | ')}`;
        } catch {
          return `${port}: no log`;
        }
      })
      .join('\n');
    await stop();
    if (required())
      throw new Error(`CI/REQUIRE_REDIS: a Redis Cluster could not be started: ${String(err)}\n${logs}`);
    console.warn(`SKIPPING Redis Cluster tests: redis-server could not start one (${String(err)})`);
    return null;
  }

  const data = [...servers.keys()];
  const handle: TestRedisCluster = {
    nodes: data.map((port) => `${HOST}:${port}`).join(','),
    startupNodes: data.map((port) => ({ host: HOST, port })),
    async slotsOf(keys) {
      const node = new Redis({
        host: HOST,
        port: livePorts()[0]!,
        retryStrategy: () => null,
        ...(password ? { password } : {}),
      });
      node.on('error', () => {});
      try {
        const replies = (await node.pipeline(keys.map((key) => ['cluster', 'keyslot', key])).exec()) ?? [];
        return replies.map(([err, slot]) => {
          if (err) throw err;
          return slot as number;
        });
      } finally {
        node.disconnect();
      }
    },
    masterOf,
    describe,
    async keysPerMaster() {
      const masters = (await describe()).filter(
        (node) => node.role === 'master' && !node.failed && alive(node.port),
      );
      return new Map(
        await Promise.all(masters.map(async (m) => [m.port, await ask<number>(m.port, 'DBSIZE')] as const)),
      );
    },
    async killMasterOf(slot) {
      const port = await masterOf(slot);
      if (port === undefined) throw new Error(`no live master owns slot ${slot}`);
      await kill(port);
      return port;
    },
    signal(port, signal) {
      if (signal === 'SIGSTOP') paused.add(port);
      servers.get(port)?.kill(signal);
      if (signal === 'SIGCONT') paused.delete(port);
    },
    async restart(port) {
      if (alive(port)) return;
      start(port);
      await waitFor(
        () =>
          ask(port, 'PING').then(
            () => true,
            () => false,
          ),
        `node ${port} did not start again`,
      );
    },
    async heal() {
      for (const port of [...paused]) handle.signal(port, 'SIGCONT');
      for (const port of servers.keys()) await handle.restart(port);
      await waitHealthy();
    },
    waitHealthy,
    logTails(lines = 60) {
      return [...servers.keys()]
        .map((port) => {
          let log: string;
          try {
            log = readFileSync(join(dir, String(port), 'redis.log'), 'utf8');
          } catch (err) {
            log = `(no log: ${(err as Error).message})`;
          }
          return `--- redis.log of :${port}\n${log.trimEnd().split('\n').slice(-lines).join('\n')}`;
        })
        .join('\n');
    },
    stop,
  };
  return handle;
}

/** CLUSTER NODES, line by line: `<id> <ip:port@bus> <flags> <master> … <slot ranges>`. */
function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const fields = line.trim().split(' ');
      const port = Number(fields[1]!.split('@')[0]!.split(':').at(-1));
      const flags = fields[2]!.split(',');
      const slots = fields
        .slice(8)
        .filter((range) => /^\d+(-\d+)?$/.test(range))
        .map((range): [number, number] => {
          const [from, to] = range.split('-').map(Number) as [number, number?];
          return [from, to ?? from];
        });
      return {
        port,
        role: flags.includes('master') ? 'master' : 'replica',
        failed: flags.includes('fail') || flags.includes('fail?'),
        slots,
      } satisfies ClusterNodeInfo;
    });
}

/** Polls `done` every 100 ms until it holds, or fails with `message` after `timeoutMs`. */
async function waitFor(
  done: () => Promise<boolean>,
  message: string,
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  const started = Date.now();
  while (!(await done().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
