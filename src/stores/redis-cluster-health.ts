/**
 * A Redis Cluster's node failures, for the health log. The Cluster object stays `ready` while one
 * master is lost (the other slots keep working), so its own events never say "down": its nodes'
 * errors do. A node counts as failing from its first error until a connection to it is ready again,
 * or until a slot-map refresh shows it masters no slot any more (its replica was promoted).
 */
import type { Cluster, Redis } from 'ioredis';

export interface ClusterNodeWatchOptions {
  /** A node failed (a connection error, a refused connection): the health log's down. */
  onDown(reason: string): void;
  /** No node is failing any more. */
  onHealed(): void;
  /** How a node's error reads in `onDown`. @default the error's message */
  describe?: (err: Error) => string;
}

export interface ClusterNodeWatch {
  /** Whether no node is failing now. */
  healthy(): boolean;
}

const keyOf = (node: Redis) => `${node.options.host}:${node.options.port}`;

/** Watches `cluster`'s nodes; call once, before it connects. */
export function watchClusterNodes(
  cluster: Cluster,
  { onDown, onHealed, describe = (err) => err.message }: ClusterNodeWatchOptions,
): ClusterNodeWatch {
  const failing = new Set<string>();
  const healed = (key: string) => {
    if (failing.delete(key) && failing.size === 0) onHealed();
  };
  cluster.on('node error', (err: Error, key: string) => {
    failing.add(key);
    onDown(`cluster node ${key}: ${describe(err)}`);
  });
  cluster.on('+node', (node: Redis) => {
    node.once('ready', () => healed(keyOf(node)));
  });
  cluster.on('refresh', () => {
    const masters = new Set(cluster.nodes('master').map(keyOf));
    for (const key of failing) if (!masters.has(key)) healed(key);
  });
  return { healthy: () => failing.size === 0 };
}
