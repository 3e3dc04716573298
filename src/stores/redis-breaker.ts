/**
 * A circuit breaker around the process's Redis client (DESIGN.md "Failure policy": Redis down or
 * hung fails fast). ioredis sends every command — the methods, Lua scripts, each command of a
 * pipeline — through `sendCommand`, so the breaker sits there and every store built on the client
 * is covered without knowing of it.
 *
 * - Closed: commands go to Redis. A command that times out (ioredis `commandTimeout`) is a failure;
 *   any answer, an error reply included, is a success and resets the count.
 * - Open, after `consecutiveTimeouts`: every command fails at once with `RedisUnavailableError`
 *   (code `REDIS_UNAVAILABLE`), and so does every command still waiting on Redis, so a request
 *   whose next command was sent just before the breaker opened does not wait out a second timeout.
 *   The stores then do what the policy says: rate limits count on this instance, the response
 *   cache is a miss, nonce checks refuse (503).
 * - Disconnected (ioredis reconnecting): every command fails at once with `RedisUnavailableError`
 *   too, as ioredis would refuse it anyway (no offline queue), so stores need one rule for both.
 * - After `openMs`, the breaker itself probes with one PING under `probeTimeoutMs` (half-open: no
 *   caller's command is the probe, callers keep failing fast); an answer closes it, silence opens it
 *   again for another `openMs`.
 *
 * On a Redis Cluster each node's connection has a breaker of its own (one master's silence says
 * nothing of the others'), and the Cluster object, which every command goes through before it picks
 * its slot's node, only refuses while the whole cluster is disconnected. The Cluster stays `ready`
 * while one master is lost: commands for that master's slots are refused by ioredis at once (no
 * connection) and surface as `RedisUnavailableError` too. So a lost or hung master costs its own
 * slots only; the breaker's state is `open` while any node's is.
 */
import { type Cluster, Command, type Redis } from 'ioredis';
import type { RedisClient } from './redis-client.js';

/** When the breaker opens and how it probes. */
export interface RedisBreakerOptions {
  /**
   * Consecutive command timeouts that open the breaker. One by default: ioredis pipelines every
   * command on one connection in order, so a timed-out command means Redis answered nothing for a
   * whole `commandTimeout` and every command behind it is stuck too; waiting for more timeouts is
   * how one request came to pay three in series. @default 1
   */
  consecutiveTimeouts?: number;
  /**
   * Time the breaker stays open before it probes Redis, in ms: at most this (plus the probe) passes
   * between Redis answering again and the stores using it. @default 500
   */
  openMs?: number;
  /** Time the probe PING may take, in ms; shorter than a command's timeout. @default 200 */
  probeTimeoutMs?: number;
  /** Told of every transition (logs, metrics). */
  onStateChange?: ((state: RedisBreakerState) => void) | undefined;
}

export type RedisBreakerState = 'closed' | 'open' | 'half_open';

/** A Redis command refused without being sent because the breaker is open. */
export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';
  constructor(message = 'redis circuit open: failing fast') {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

/** Whether `err` is the breaker's refusal (match on the code, STYLE.md 14). */
export function isRedisUnavailable(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'REDIS_UNAVAILABLE';
}

/** The breaker of one Redis client. */
export interface RedisBreaker {
  /** The state now (readiness, metrics, tests). */
  readonly state: RedisBreakerState;
  /** Stops probing; the client keeps its breaker (call before closing the client). */
  dispose(): void;
}

/** ioredis's message for a command that outlived `commandTimeout` (it carries no code). */
const TIMED_OUT = 'Command timed out';
/** Let through whatever the state: closing the connection must not wait for Redis to heal. */
const ALWAYS_SENT = new Set(['quit']);
/**
 * Client states without a connection, where ioredis (offline queue off) refuses every command with
 * a message of its own: refused as `RedisUnavailableError` instead, so stores treat a lost connection
 * like an open breaker (fail fast, no line per command: the connection's own log says it once).
 */
const DISCONNECTED = new Set(['connecting', 'reconnecting', 'close']);

/** Puts a breaker in front of every command of `redis` (once per client, before the stores use it). */
export function guardRedis(redis: RedisClient, options: RedisBreakerOptions = {}): RedisBreaker {
  const { consecutiveTimeouts = 1 } = options;
  if (!Number.isInteger(consecutiveTimeouts) || consecutiveTimeouts < 1) {
    throw new Error(
      `redis breaker: consecutiveTimeouts must be a positive integer, got ${consecutiveTimeouts}`,
    );
  }
  return redis.isCluster
    ? guardCluster(redis as Cluster, options)
    : guardConnection(redis as Redis, options, { refuseDisconnected: true });
}

/**
 * A Cluster: a breaker per node connection (each node's commands time out on their own), and, in
 * front of the Cluster, a refusal while it has no connection at all and the translation of
 * ioredis's "no connection to this slot's node" into `RedisUnavailableError`.
 */
function guardCluster(cluster: Cluster, { onStateChange, ...options }: RedisBreakerOptions): RedisBreaker {
  const breakers = new Map<Redis, RedisBreaker>();
  const opened = new Set<Redis>();
  let state: RedisBreakerState = 'closed';
  const update = () => {
    const next = opened.size > 0 ? 'open' : 'closed';
    if (next === state) return;
    state = next;
    onStateChange?.(next);
  };
  const guardNode = (node: Redis) => {
    if (breakers.has(node)) return;
    const onNodeState = (nodeState: RedisBreakerState) => {
      if (nodeState === 'closed') opened.delete(node);
      else opened.add(node);
      update();
    };
    // A node's connection connects lazily and queues meanwhile: the Cluster already refuses what
    // would go to a node that has lost its connection, so the node's breaker only counts timeouts.
    breakers.set(
      node,
      guardConnection(node, { ...options, onStateChange: onNodeState }, { refuseDisconnected: false }),
    );
    node.once('end', () => {
      breakers.get(node)?.dispose();
      breakers.delete(node);
      opened.delete(node);
      update();
    });
  };
  for (const node of cluster.nodes('all')) guardNode(node);
  cluster.on('+node', guardNode);

  // A Cluster's sendCommand takes a third argument (the node a pipeline is bound to): passed on as is.
  const send = cluster.sendCommand.bind(cluster) as (command: Command, ...rest: unknown[]) => unknown;
  const guarded = (command: Command, ...rest: unknown[]): unknown => {
    if (DISCONNECTED.has(cluster.status) && !ALWAYS_SENT.has(command.name)) {
      command.reject(new RedisUnavailableError());
      return command.promise;
    }
    const sent = send(command, ...rest);
    if (!(sent instanceof Promise)) return sent;
    // A Cluster refuses at once a command whose slot's master has no connection: said as the
    // breaker says it, so stores fail it the same way, without a log line per request. A pipeline
    // ignores what this returns (it reads each command's own promise): marked handled for it.
    const translated = sent.catch((err: unknown) => {
      throw isConnectionLost(err) ? new RedisUnavailableError(`redis: ${(err as Error).message}`) : err;
    });
    translated.catch(() => {});
    return translated;
  };
  cluster.sendCommand = guarded as typeof cluster.sendCommand;

  return {
    get state() {
      return state;
    },
    dispose() {
      cluster.off('+node', guardNode);
      for (const breaker of breakers.values()) breaker.dispose();
    },
  };
}

/** The breaker of one connection (one Redis, or one node of a Cluster). */
function guardConnection(
  redis: Redis,
  { consecutiveTimeouts = 1, openMs = 500, probeTimeoutMs = 200, onStateChange }: RedisBreakerOptions,
  { refuseDisconnected }: { refuseDisconnected: boolean },
): RedisBreaker {
  const send = redis.sendCommand.bind(redis);
  const waiting = new Set<Command>();
  let state: RedisBreakerState = 'closed';
  let timeouts = 0;
  let probeTimer: NodeJS.Timeout | undefined;
  let disposed = false;

  function move(next: RedisBreakerState): void {
    if (state === next) return;
    state = next;
    onStateChange?.(next);
  }

  function open(): void {
    move('open');
    timeouts = 0;
    // Commands already on the wire wait on the same silent Redis: fail them now, not at their timeout.
    for (const command of waiting) command.reject(new RedisUnavailableError());
    waiting.clear();
    if (!disposed) probeTimer = setTimeout(probe, openMs).unref();
  }

  function probe(): void {
    probeTimer = undefined;
    move('half_open');
    const ping = new Command('ping', [], { replyEncoding: 'utf8' });
    // ioredis arms commandTimeout only when no timer is set yet: this one wins.
    ping.setTimeout(probeTimeoutMs);
    send(ping);
    ping.promise.then(
      () => {
        if (state === 'half_open') move('closed');
      },
      () => {
        if (state === 'half_open') open();
      },
    );
  }

  function settled(command: Command, err: unknown): void {
    if (!waiting.delete(command)) return; // failed by `open` already
    if (err instanceof Error && err.message === TIMED_OUT) {
      if (state === 'closed' && ++timeouts >= consecutiveTimeouts) open();
    } else if (!isRedisUnavailable(err) && !isConnectionLost(err)) {
      timeouts = 0; // Redis answered (an error reply is an answer)
    }
  }

  redis.sendCommand = (command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown => {
    // The breaker guards a ready connection only: once connected, ioredis sends its handshake (the
    // ready check's INFO) through here, and refusing it would keep the connection from ever healing.
    const refused =
      (state !== 'closed' && redis.status === 'ready') ||
      (refuseDisconnected && DISCONNECTED.has(redis.status));
    if (refused && !ALWAYS_SENT.has(command.name)) {
      command.reject(new RedisUnavailableError());
      return command.promise;
    }
    waiting.add(command);
    command.promise.then(
      () => settled(command, undefined),
      (err: unknown) => settled(command, err),
    );
    return send(command, stream);
  };

  // A connection that has just passed its ready check has heard Redis answer.
  redis.on('ready', () => {
    if (state === 'closed') return;
    clearTimeout(probeTimer);
    probeTimer = undefined;
    timeouts = 0;
    move('closed');
  });

  return {
    get state() {
      return state;
    },
    dispose() {
      disposed = true;
      clearTimeout(probeTimer);
    },
  };
}

/**
 * ioredis's fast refusals of a command it could not send (disconnected; on a Cluster, no connection
 * to the node of its slot, or the cluster not ready): not a verdict on a hung Redis, not an answer.
 */
export function isConnectionLost(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return (
    message.startsWith("Stream isn't writeable") ||
    message === 'Connection is closed.' ||
    message.startsWith("Cluster isn't ready") ||
    message === 'Cluster is ended.'
  );
}
