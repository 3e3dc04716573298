/**
 * The key CLI's view of the gateways' stores (DATABASE_URL, REDIS_URL, REDIS_SENTINELS or
 * REDIS_CLUSTER_NODES with their REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD, KEYS_ENCRYPTION_KEY,
 * REDIS_KEY_PREFIX as the gateways have them): keys and audit in PostgreSQL when DATABASE_URL is
 * set (migrated first), Redis pushes revocations. A key service per key environment, made on use.
 */
import type { Pool } from 'pg';
import type { KeyEnvironment } from '../auth/api-key-format.js';
import type { Identity } from '../auth/identity.js';
import type { Config } from '../config.js';
import type { KeyService } from '../keys/service.js';
import type { AuditLog } from '../keys/stores.js';
import { CliError, cliLogger, EXIT, usageError } from './program.js';

/** What a keys command gets: a key service minting keys of `environment` (default: the config's). */
export type KeysFor = (environment?: KeyEnvironment) => KeyService;

/** The stores themselves, for commands that work on more than keys (rewrap: sources' secrets). */
export interface KeyStoreContext {
  /** PostgreSQL, migrated; undefined when the gateways have none (Redis only). */
  readonly database: Pool | undefined;
  readonly audit: AuditLog;
}

/** The option each key-service argument comes from, to name it in a refusal. */
const OPTION_OF: Record<string, string> = {
  clientId: '--client',
  name: '--name',
  scopes: '--scopes',
  plan: '--plan',
  expiresAt: '--expires-days/--expires-at',
  allowedCidrs: '--cidrs',
  signing: '--ed25519-public-key/--hmac-secret',
  graceSeconds: '--grace-seconds',
  keyId: '--key',
};

/**
 * Runs `run` on the shared stores, closed afterwards. `pepper`: the command hashes keys (creates,
 * rotates, confirms a leak), so KEYS_ENCRYPTION_KEY must be the gateways', not a random one.
 */
export async function withKeys<T>(
  config: Config,
  { pepper }: { pepper: boolean },
  run: (keysFor: KeysFor, context: KeyStoreContext) => Promise<T>,
): Promise<T> {
  if (config.production && !config.databaseUrl)
    throw usageError(
      "DATABASE_URL must point at the gateways' PostgreSQL: in production keys live there, not in Redis",
    );
  if (!config.redisUrl && !config.redisSentinel && !config.redisCluster && !config.databaseUrl)
    throw usageError(
      "DATABASE_URL (or REDIS_URL / REDIS_SENTINELS / REDIS_CLUSTER_NODES) must point at the gateways' stores (memory keys live inside one gateway process)",
    );
  if (pepper && config.keyring.ephemeral)
    throw usageError(
      "KEYS_ENCRYPTION_KEYS (or KEYS_ENCRYPTION_KEY) must be the gateways' (keys are hashed with it); it is not set",
    );
  const [{ Cluster, Redis }, { createIdentity }, { createStores }] = await Promise.all([
    import('ioredis'),
    import('../auth/identity.js'),
    import('../stores/index.js'),
  ]);
  const logger = cliLogger();
  const redisOptions = { maxRetriesPerRequest: 1, commandTimeout: 2000 };
  // Behind Sentinel, the sentinels name the master (the gateways' REDIS_SENTINELS, same group; the
  // config carries both credentials, ioredis's username/password and sentinelUsername/Password).
  // On a Cluster, commands wait (offline queue) for the slot map, then go to each slot's master;
  // every node gets REDIS_USERNAME/REDIS_PASSWORD.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, redisOptions)
    : config.redisSentinel
      ? new Redis({ ...config.redisSentinel, ...redisOptions })
      : config.redisCluster
        ? new Cluster(config.redisCluster.nodes, {
            scaleReads: 'master',
            redisOptions: {
              ...redisOptions,
              username: config.redisCluster.username,
              password: config.redisCluster.password,
            },
            // No node answers: give up after a few tries (a command waits meanwhile), not forever.
            clusterRetryStrategy: (attempt) => (attempt > 5 ? null : 200),
          })
        : undefined;
  // A failure reaches the operator as the command's error; ioredis would also print every retry's.
  redis?.on('error', () => {});
  // pg and the migration tool are loaded only when there is a database to talk to.
  const postgres = config.databaseUrl ? await import('../stores/postgres-pool.js') : undefined;
  const database =
    postgres && config.databaseUrl
      ? postgres.createDatabasePool({ url: config.databaseUrl, logger, connectionTimeoutMs: 5000, max: 2 })
      : undefined;
  const stores = createStores({ redis, database, prefix: config.redisKeyPrefix, logger });
  const identities = new Map<KeyEnvironment, Identity>();
  const keysFor: KeysFor = (environment = config.apiKeyEnvironment) => {
    let identity = identities.get(environment);
    if (!identity) {
      identity = createIdentity({
        config: { ...config, apiKeyEnvironment: environment },
        logger,
        redis,
        stores,
      });
      identities.set(environment, identity);
    }
    return identity.keys;
  };
  try {
    if (database) await postgres?.migrateDatabase(database, logger);
    return await run(keysFor, { database, audit: stores.audit });
  } catch (err) {
    throw refusal(err);
  } finally {
    for (const identity of identities.values()) await identity.close();
    await stores.close();
    await redis?.quit();
    await database?.end();
  }
}

/** A key-service refusal (BAD_USER_INPUT, FORBIDDEN…) as a CliError naming the option (exit 1). */
function refusal(err: unknown): unknown {
  const extensions = (err as { extensions?: { code?: unknown; argument?: unknown } }).extensions;
  if (!extensions || typeof extensions.code !== 'string') return err;
  const option = typeof extensions.argument === 'string' ? OPTION_OF[extensions.argument] : undefined;
  const message = (err as Error).message;
  return new CliError(option ? `${option}: ${message}` : message, EXIT.failure);
}
