/**
 * The one type every Redis store is built on, a single Redis (REDIS_URL, or the master behind
 * REDIS_SENTINELS) or a Redis Cluster (REDIS_CLUSTER_NODES), and the few operations whose shape
 * differs between the two: batches of commands on keys of several slots, SCAN, and the subscriber
 * connection.
 *
 * Hash tags (the part of a key name between `{` and `}` decides its Cluster slot): a Lua script or
 * a MULTI may touch keys of one slot only, so each store names its keys so that what one script
 * touches shares a tag, and nothing more — a tag shared by everything would put all the state on
 * one master. The layout, store by store, is in each store's JSDoc and in the README.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { isConnectionLost, RedisUnavailableError } from './redis-breaker.js';

/** The process's Redis: one node, or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** One command as ioredis's pipeline takes it: its name, then its arguments. */
export type RedisCommand = [name: string, ...args: (string | number)[]];

/** A command's outcome in a batch: [error, reply], as ioredis's pipeline reports it. */
export type RedisReply = [error: Error | null, reply: unknown];

/** Whether `redis` is a Redis Cluster (both classes carry `isCluster`). */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis.isCluster;
}

/**
 * Sends commands, each on keys of one slot, in one round trip per node, and returns each outcome
 * in order (never throws for one command's failure). One Redis: one pipeline. A Cluster refuses a
 * pipeline whose keys live on several masters, so each command is a pipeline of its own, all sent
 * at once: ioredis writes each to its slot's master, and the ones of one master share a write.
 */
export async function sendEach(redis: RedisClient, commands: readonly RedisCommand[]): Promise<RedisReply[]> {
  if (commands.length === 0) return [];
  if (!isCluster(redis))
    return ((await redis.pipeline(commands.map((c) => [...c])).exec()) ?? []) as RedisReply[];
  return Promise.all(
    commands.map(async (command): Promise<RedisReply> => {
      try {
        const [outcome] = ((await redis.pipeline([[...command]]).exec()) ?? []) as RedisReply[];
        return outcome ? [unavailable(outcome[0]), outcome[1]] : [new Error('redis: no reply'), null];
      } catch (err) {
        return [unavailable(err as Error) ?? (err as Error), null];
      }
    }),
  );
}

/** Like sendEach, but throws the first failure (callers that need every reply or none). */
export async function sendAll(redis: RedisClient, commands: readonly RedisCommand[]): Promise<unknown[]> {
  const outcomes = await sendEach(redis, commands);
  const failed = outcomes.find(([err]) => err);
  if (failed) throw failed[0];
  return outcomes.map(([, reply]) => reply);
}

/**
 * Every key matching `pattern`, batch by batch. SCAN walks one node's keyspace: on a Cluster it
 * runs on every master (each owns its slots' keys), and fails rather than return a partial answer
 * when the masters are not known yet (the cluster is still connecting).
 */
export async function scanKeys(
  redis: RedisClient,
  pattern: string,
  onBatch: (keys: string[]) => Promise<void>,
): Promise<void> {
  // The masters are known once the cluster is ready: a client with an offline queue (the key CLI)
  // waits for it here, one without (a gateway) fails at once.
  if (isCluster(redis) && redis.status !== 'ready') await redis.ping();
  const nodes: Redis[] = isCluster(redis) ? redis.nodes('master') : [redis];
  if (nodes.length === 0) throw new RedisUnavailableError('redis cluster: no master known yet');
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await onBatch(keys);
    } while (cursor !== '0');
  }
}

/**
 * A connection of its own for SUBSCRIBE (a subscribed connection sends no other command), with the
 * offline queue on so the subscription is sent once connected, however late that is. On a Cluster
 * it subscribes on one node and moves to another when that one is lost; PUBLISH on any node of a
 * Cluster reaches the subscribers of every node.
 */
export function subscriberOf(redis: RedisClient): RedisClient {
  return isCluster(redis)
    ? redis.duplicate([], { enableOfflineQueue: true })
    : redis.duplicate({ enableOfflineQueue: true });
}

/**
 * Runs `onFinalEnd` when `client` ends for good, and connects a Sentinel client again after an end
 * nobody asked for (`closing()` false). ioredis can end one for good by itself: the failover
 * detector that the lost master's connection left on the sentinels disconnects the connector while
 * the reconnect is asking them for the new master, and that connect throws "Connection is closed."
 * (SentinelConnector: `if (!this.connecting) throw`), which sets the status to `end` where nothing
 * reconnects it. Seen in loaded .ci/runs: every mutation refused until the failover test gave up.
 */
export function onEnd(client: RedisClient, closing: () => boolean, onFinalEnd: () => void = () => {}): void {
  const sentinel = !isCluster(client) && (client.options.sentinels?.length ?? 0) > 0;
  client.on('end', () => {
    if (sentinel && !closing()) {
      setTimeout(() => void client.connect().catch(() => {}), 100).unref();
      return;
    }
    onFinalEnd();
  });
}

/**
 * ioredis's fast refusals when a command's node has no connection (a master lost, a cluster still
 * connecting): the same verdict as the breaker's, so stores treat them alike (no line per request).
 */
export function unavailable(err: Error | null): Error | null {
  if (!err) return null;
  return isConnectionLost(err) ? new RedisUnavailableError(`redis: ${err.message}`) : err;
}

/** A Lua script, sent by its SHA-1 (EVALSHA) once Redis knows it. */
export interface RedisScript {
  /** Runs the script on `keys` (one slot) with `args`; loads it where a node does not know it yet. */
  run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/**
 * A script run by EVALSHA: its body (a few KB) is sent and hashed by Redis only when a node answers
 * NOSCRIPT (first use, a restart, a failover, another master of a Cluster), not on every call — the
 * rate-limit script rode along with every request before (profiled).
 */
export function redisScript(body: string): RedisScript {
  const sha = createHash('sha1').update(body).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return redis.eval(body, keys.length, ...keys, ...args);
      }
    },
  };
}
