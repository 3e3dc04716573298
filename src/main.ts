/**
 * Process entry: reads config, starts the demo sandboxes when no upstream is configured, builds the
 * instance's metrics and (when OTEL_* asks) tracing, connects the sources and Redis, listens (and on
 * METRICS_PORT when set), and shuts down gracefully on SIGTERM/SIGINT.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { sources as defaultSources } from '../sources/index.js';
import type { RunningSandbox } from '../sources/sandbox-kit/types.js';
import { createIdentity } from './auth/identity.js';
import {
  type Config,
  ConfigError,
  loadConfig,
  type RedisClusterConfig,
  type RedisSentinelConfig,
} from './config.js';
import { gatewayError } from './errors.js';
import { connectSources, type SourceList, startSandboxes } from './gateway/registry.js';
import { attachWebSocketTransport } from './gateway/websocket.js';
import { type DemoKeys, seedDemoKeys } from './keys/demo.js';
import type { KeyService } from './keys/service.js';
import { createLogger } from './logger.js';
import { defaultMaxBodyBytes } from './plugins/use-body-limit.js';
import { createMetricsResponder, type MetricsResponder } from './plugins/use-metrics-endpoint.js';
import { createGateway } from './server.js';
import { createStores } from './stores/index.js';
import { createDatabasePool, migrateDatabase } from './stores/postgres-pool.js';
import { guardRedis } from './stores/redis-breaker.js';
import { isCluster, onEnd, type RedisClient } from './stores/redis-client.js';
import { watchClusterNodes } from './stores/redis-cluster-health.js';
import { createRedisHealthLog, redisFailureReason } from './stores/redis-health.js';
import { createSubscriptionRegistry } from './streams/subscription-registry.js';
import { createMetrics, type GatewayMetrics } from './telemetry/metrics.js';
import { createUpstreamTelemetry } from './telemetry/upstream-telemetry.js';

/** A started Switchyard: its URL and how to stop it. */
export interface RunningSwitchyard {
  readonly url: string;
  readonly port: number;
  /** Demo mode only: the in-process sandboxes. */
  readonly sandboxes: Readonly<Record<string, RunningSandbox>> | undefined;
  /** API-key lifecycle of this instance (tests and operators' tooling use it). */
  readonly keys: KeyService;
  /** Demo mode without Redis: the demo users' keys, printed once at start. */
  readonly demoKeys: DemoKeys | undefined;
  /** This instance's Prometheus metrics (its own registry). */
  readonly metrics: GatewayMetrics;
  /** Where GET /metrics answers (METRICS_PORT's listener or the main port); undefined: refused (403). */
  readonly metricsUrl: string | undefined;
  /** Stops accepting, lets in-flight requests finish (up to shutdownTimeoutMs), closes everything. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** The sources to aggregate. @default the list of sources/index.ts */
  sources?: SourceList;
}

/** Starts the gateway for a config: used by the process entry below and by tests. */
export async function startSwitchyard(
  config: Config,
  logger: Logger,
  { sources: list = defaultSources }: StartOptions = {},
): Promise<RunningSwitchyard> {
  if (config.production && config.upstreams.mode === 'demo') {
    // loadConfig refuses this for the gateway; a config built for a tool must not start one.
    throw new ConfigError('Invalid configuration:\n  production needs real upstreams, not demo mode');
  }
  // The system of record, migrated before anything starts (instances wait on an advisory lock).
  const database = config.databaseUrl ? createDatabasePool({ url: config.databaseUrl, logger }) : undefined;
  if (database)
    await migrateDatabase(database, logger).catch(async (err: unknown) => {
      await database.end().catch(() => {});
      throw err;
    });
  const sandboxes: Readonly<Record<string, RunningSandbox>> | undefined =
    config.upstreams.mode === 'demo' ? await startSandboxes(list) : undefined;
  const targets =
    config.upstreams.mode === 'demo'
      ? Object.fromEntries(Object.entries(sandboxes!).map(([name, sandbox]) => [name, sandbox.target]))
      : config.upstreams.targets;
  const metrics = createMetrics();
  // The OpenTelemetry SDK and exporter are loaded only when tracing is on (~50 ms of start-up).
  const tracing = config.tracing
    ? (await import('./telemetry/tracing.js')).createTracing(config.tracing, logger)
    : undefined;
  const redisTarget = config.redisUrl ?? config.redisSentinel ?? config.redisCluster;
  const redis = redisTarget ? await connectRedis(redisTarget, logger, metrics) : undefined;

  const stores = createStores({
    redis,
    database,
    prefix: config.redisKeyPrefix,
    logger,
    onResponseCacheError: () => {
      metrics.responseCache.inc({ result: 'bypass' });
      metrics.redisErrors.inc({ kind: 'command' });
    },
    onLeaseFallback: () => metrics.redisErrors.inc({ kind: 'command' }),
  });
  const identity = createIdentity({ config, logger, redis, stores });
  const sources = connectSources(list, targets, {
    timeoutMs: config.upstreamTimeoutMs,
    observer: createUpstreamTelemetry({ metrics, tracer: tracing?.tracer }),
    resilience: { dedup: config.upstreamDedup },
    streams: metrics.streams,
    // Sources that keep users' secrets (exchange keys): the keyring, the system of record, the trail.
    vault: { envelopes: identity.crypto.envelopes, database, audit: stores.audit, now: Date.now },
    settings: config.sourceSettings,
  });
  // Every usable key in this instance's cache before it serves: known keys then survive a PostgreSQL
  // outage for the cache's stale window even if nobody has used them here yet.
  const warmed = await identity.keys.warm();
  if (warmed > 0) logger.info({ keys: warmed }, 'key cache warmed');
  const demoKeys =
    config.upstreams.mode === 'demo' && identity.inMemory ? await seedDemoKeys(identity.keys) : undefined;

  const subscriptions = createSubscriptionRegistry({ keys: identity.keys, log: logger });
  let draining = false;
  const gateway = createGateway({
    config,
    logger,
    sources,
    keys: identity.keys,
    nonces: identity.nonces,
    persistedOperationStore: stores.persistedOperations,
    subscriptions,
    subscriptionLeases: stores.subscriptionLeases,
    responseCache: config.responseCache ? stores.responseCache : undefined,
    rateLimitStore: stores.rateLimits,
    authenticate: identity.authenticate,
    graphiqlHeaders: demoKeys ? { 'X-API-Key': demoKeys['user-1'] } : {},
    readinessChecks: redis ? { redis: () => redis.ping() } : {},
    isDraining: () => draining,
    metrics,
    tracer: tracing?.tracer,
  });
  const server = createServer(
    {
      keepAliveTimeout: 65_000,
      // A slow client holds a socket and a parser: the headers, then the whole request (body
      // included), must arrive in time or Node answers 408 and closes the connection. Node checks
      // these deadlines every connectionsCheckingInterval (30 s by default): checked at least every second.
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
    },
    (req, res) => {
      // While draining, every answer closes its connection so clients reconnect to another instance.
      if (draining) res.setHeader('connection', 'close');
      void gateway(req, res);
    },
  );
  // Past the cap Node closes new connections as they arrive, before any byte is read.
  server.maxConnections = config.maxConnections;
  // GraphQL over WebSocket on the same port and path, through the same pipeline (every operation
  // is a request to `gateway`).
  const websockets = attachWebSocketTransport({
    server,
    handle: (request, serverContext) => gateway.fetch(request, serverContext as never),
    verify: async (headers, req) => {
      await identity.authenticate(
        new Request('http://gateway/graphql', { headers }),
        req.socket.remoteAddress,
        `ws-${randomUUID()}`,
      );
    },
    maxPayloadBytes: defaultMaxBodyBytes,
    logger,
  });
  await listen(server, config.port, config.host, 'PORT');
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(config.host)}:${port}/graphql`;
  let metricsServer: Server | undefined;
  let metricsUrl: string | undefined =
    config.production && !config.metricsToken ? undefined : `http://${urlHost(config.host)}:${port}/metrics`;
  if (config.metricsPort !== undefined) {
    // Open without METRICS_TOKEN: a port of its own is kept off the public network by the operator.
    metricsServer = createMetricsServer(
      createMetricsResponder({ metrics, token: config.metricsToken }),
      logger,
    );
    try {
      await listen(metricsServer, config.metricsPort, config.host, 'METRICS_PORT');
    } catch (err) {
      server.close();
      throw err;
    }
    metricsUrl = `http://${urlHost(config.host)}:${(metricsServer.address() as AddressInfo).port}/metrics`;
  }

  return {
    url,
    port,
    sandboxes,
    keys: identity.keys,
    demoKeys,
    metrics,
    metricsUrl,
    async close() {
      const deadline = Date.now() + config.shutdownTimeoutMs;
      draining = true;
      if (config.shutdownDelayMs > 0) {
        // Still accepting: load balancers see /readyz fail and stop routing here first.
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      }
      // Open streams end now, with a hint to subscribe again: load balancers already route elsewhere.
      subscriptions.endAll(
        gatewayError(
          'RECONNECT',
          'This instance is shutting down: subscribe again (with `after` where the field has it).',
        ),
        'shutdown',
      );
      // Their last message is on its way; then sockets close with 1012 (service restart: reconnect).
      await settled(() => subscriptions.size === 0, Math.min(1_000, Math.max(0, deadline - Date.now())));
      await websockets.close(1012, 'Service restart');
      await drain(server, Math.max(0, deadline - Date.now()), logger);
      // Scraped until the main listener is drained, so the last requests are counted and visible.
      if (metricsServer) await closeNow(metricsServer);
      await identity.close();
      await stores.close();
      await Promise.allSettled(Object.values(sources).map((connected) => connected.close()));
      if (redis) {
        closingRedis.add(redis);
        await redis.quit().catch(() => redis.disconnect());
      }
      if (database)
        await database.end().catch((err: unknown) => logger.warn({ err }, 'postgres close failed'));
      // Exports the spans still buffered, the last requests' included.
      if (tracing)
        await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'trace flush failed'));
      if (sandboxes) await Promise.allSettled(Object.values(sandboxes).map((sandbox) => sandbox.close()));
    },
  };
}

/** Redis clients the gateway is closing: their `end` is the last one. */
const closingRedis = new WeakSet<RedisClient>();

/** How long a Redis command may take before it fails (and opens the breaker), in ms. */
const COMMAND_TIMEOUT_MS = 500;

/**
 * Redis fails fast when down (no hanging offline queue), per library-notes.md. Start-up waits a
 * moment for the first connection but does not require it: what depends on Redis decides how to
 * fail (DESIGN.md "Failure policy"), and /readyz reports it.
 *
 * Behind Sentinel (`target` a RedisSentinelConfig) the client asks the sentinels for the master on
 * every (re)connect, so a failover is a reconnect like any other: commands fail fast (breaker,
 * DISCONNECTED) until the promoted replica answers. `duplicate()` (the invalidation bus's
 * subscriber) keeps these options, so pub/sub follows the master too.
 *
 * On a Redis Cluster (`target` a RedisClusterConfig) the client keeps a connection per node and
 * sends each command to its slot's master (reads too: a replica may lag behind a nonce or a
 * counter). A lost master costs only its slots: their commands fail at once (no retry loop) until
 * the cluster promotes a replica, which the client learns from the next MOVED reply or its slot
 * map refresh; the other slots are served throughout. A hung master costs its slots one command
 * timeout, then its node's breaker fails them fast (stores/redis-breaker.ts).
 */
async function connectRedis(
  target: string | RedisSentinelConfig | RedisClusterConfig,
  logger: Logger,
  metrics: GatewayMetrics,
): Promise<RedisClient> {
  const options = {
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
  };
  // One Redis: commands issued in the same tick (nonces, cache lookups, rate-limit leases) go out in
  // one write. Not behind Sentinel: it was turned off there when a .ci/run saw the gateways never
  // reconnect after a failover (ioredis#1683 blames auto-pipelining). The same failure recurred
  // without it and was an ended connection (see `onEnd` in stores/redis-client.ts); turning it back
  // on behind Sentinel waits for a measurement.
  const pipelined = { ...options, enableAutoPipelining: true };
  const redis: RedisClient =
    typeof target === 'string'
      ? new Redis(target, pipelined)
      : 'nodes' in target
        ? new Cluster(target.nodes, {
            enableOfflineQueue: false,
            scaleReads: 'master',
            // A command whose slot has no reachable master fails at once (ioredis would retry it every
            // 100 ms up to 16 times: seconds, past the command timeout); so does CLUSTERDOWN.
            retryDelayOnFailover: 0,
            retryDelayOnClusterDown: 0,
            // Every node lost: reconnect soon, as for one Redis.
            clusterRetryStrategy: (attempt) => Math.min(attempt * 50, 500),
            // The slot map is read again every second (and on every MOVED): a promotion is seen
            // within a second even by an instance that sent nothing to the lost slots.
            slotsRefreshInterval: 1000,
            slotsRefreshTimeout: COMMAND_TIMEOUT_MS,
            // Each node's connection: commands time out as on one Redis, and that node's breaker opens.
            // Every node connection sends these in AUTH, the slot-map and subscriber ones (duplicates) too.
            redisOptions: {
              username: target.username,
              password: target.password,
              commandTimeout: COMMAND_TIMEOUT_MS,
              maxRetriesPerRequest: 1,
              connectTimeout: 1000,
            },
          })
        : new Redis({
            // sentinels, name, and the credentials: username/password for the master,
            // sentinelUsername/sentinelPassword for the sentinels.
            ...target,
            ...options,
            // A sentinel is asked for the master at most this long (default 10 s), then the next one.
            sentinelCommandTimeout: COMMAND_TIMEOUT_MS,
            // While the master is gone, ask the sentinels again soon: the promotion is seen within this.
            retryStrategy: (attempt) => Math.min(attempt * 50, 500),
            // A master that hangs keeps its connections open: without this, the client would stay on it
            // after the sentinels promoted a replica. It listens for +switch-master and reconnects.
            failoverDetector: true,
          });
  // One line when Redis goes down, one when it is back, a reminder a minute between: never one per
  // reconnect attempt or breaker probe (stores/redis-health.ts). Metrics count every failure.
  const health = createRedisHealthLog({ logger });
  // A refused password is an outage like any other (fail closed), said as such once.
  const reason = (err: Error) =>
    redisFailureReason(
      err,
      typeof target === 'string'
        ? { nodes: 'the user and password in REDIS_URL' }
        : {
            nodes: 'REDIS_PASSWORD (and REDIS_USERNAME)',
            sentinels: 'REDIS_SENTINEL_PASSWORD (and REDIS_SENTINEL_USERNAME)',
          },
    );
  redis.on('error', (err: Error) => {
    metrics.redisErrors.inc({ kind: 'connection' });
    health.down(reason(err));
  });
  // A hung Redis costs a request at most one commandTimeout, then fails fast (stores/redis-breaker.ts).
  const breaker = guardRedis(redis, {
    onStateChange: (state) => {
      if (state === 'open') {
        metrics.redisErrors.inc({ kind: 'circuit_open' });
        health.down(`no answer within ${COMMAND_TIMEOUT_MS} ms: commands fail fast (circuit open)`);
      }
      if (state === 'closed' && redis.status === 'ready' && (nodes?.healthy() ?? true)) health.up();
    },
  });
  // A Cluster stays ready while one master is lost: its nodes' errors say so (one line, as above).
  const nodes = isCluster(redis)
    ? watchClusterNodes(redis, {
        describe: reason,
        onDown: (why) => {
          metrics.redisErrors.inc({ kind: 'connection' });
          health.down(why);
        },
        onHealed: () => {
          if (breaker.state === 'closed' && redis.status === 'ready') health.up();
        },
      })
    : undefined;
  redis.on('ready', () => {
    if (breaker.state === 'closed' && (nodes?.healthy() ?? true)) health.up();
  });
  onEnd(
    redis,
    () => closingRedis.has(redis),
    () => {
      breaker.dispose();
      health.close();
    },
  );
  const ready = await Promise.race([
    once(redis, 'ready').then(
      () => true,
      () => false, // the first attempt failed; ioredis keeps reconnecting in the background
    ),
    new Promise<false>((resolve) => setTimeout(resolve, 2000, false).unref()),
  ]);
  if (!ready) health.down('no connection within 2 s of start-up; the gateway serves without it meanwhile');
  return redis;
}

/** Resolves once `done()` holds, or after `timeoutMs`. */
async function settled(done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The host part of a URL to this listener (an address to reach, IPv6 in brackets). */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** METRICS_PORT's listener: GET /metrics and nothing else, answered like the main port's endpoint. */
function createMetricsServer(respond: MetricsResponder, logger: Logger): Server {
  return createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    metricsAnswer(req, respond).then(
      async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      },
      (err: unknown) => {
        logger.error({ err }, 'metrics scrape failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end();
      },
    );
  });
}

async function metricsAnswer(req: IncomingMessage, respond: MetricsResponder): Promise<Response> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics') {
    return new Response('Not Found\n', { status: 404, headers: { 'content-type': 'text/plain' } });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
  }
  const headers = new Headers();
  if (req.headers.authorization !== undefined) headers.set('authorization', req.headers.authorization);
  return respond(new Request('http://metrics/metrics', { method: req.method, headers }));
}

/** Closes a listener and every connection it still holds (keep-alive scrapers), at once. */
async function closeNow(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/**
 * The demo signer's private key, in a directory made for this process alone (mkdtemp: a new name,
 * mode 0700) and created exclusively with mode 0600: nothing planted in the temp folder (a symlink,
 * a file another user can read) is followed or reused, and two demos never share a file.
 */
export function writeDemoSigningKey(privateKeyPem: string): { path: string; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  const remove = () => rmSync(directory, { recursive: true, force: true });
  const path = join(directory, 'user-1.pem');
  try {
    writeFileSync(path, privateKeyPem, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    remove();
    throw err;
  }
  return { path, remove };
}

/** The start-up line that says where metrics are served, and to whom. */
function metricsLine(config: Config, metricsUrl: string | undefined): string {
  if (metricsUrl === undefined) {
    return 'GET /metrics answers 403 here: production serves metrics only with METRICS_TOKEN, or on METRICS_PORT';
  }
  return config.metricsToken
    ? `metrics at ${metricsUrl} (bearer token required)`
    : `metrics at ${metricsUrl}, open to anyone who can reach that port`;
}

/** A listener that could not bind: its message names the variable to change (main prints it alone). */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  readonly code = 'LISTEN_FAILED';
}

/** Why a bind failed, for an operator: what happened and which variable to change. */
function listenProblem(err: NodeJS.ErrnoException, variable: string): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `the address is already in use (EADDRINUSE); stop what listens there or set ${variable} to another port`;
    case 'EACCES':
      return `permission denied (EACCES); ports below 1024 need privileges: set ${variable} to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return 'HOST is not an address of this machine (EADDRNOTAVAIL); set HOST to one of its addresses, or 0.0.0.0 for all';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HOST does not resolve (${err.code}); set HOST to an address or a resolvable name`;
    default:
      return `${err.message}${err.code ? ` (${err.code})` : ''}`;
  }
}

function listen(server: Server, port: number, host: string, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) =>
      reject(
        new ListenError(
          `cannot listen on ${variable}=${port} (HOST=${host}): ${listenProblem(err, variable)}`,
          {
            cause: err,
          },
        ),
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * Stops accepting connections and waits for in-flight requests up to the deadline. A keep-alive
 * connection whose request was in flight turns idle when its response is sent; it is closed then,
 * not left open until the deadline (server.close() alone closes only the connections idle at once).
 */
async function drain(server: Server, timeoutMs: number, logger: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const timer = setTimeout(() => {
    logger.warn({ timeoutMs }, 'shutdown deadline reached: closing remaining connections');
    server.closeAllConnections();
  }, timeoutMs);
  await closed;
  clearInterval(sweep);
  clearTimeout(timer);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchyard: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, pretty: config.prettyLogs });
  // Logged, never answered to a client (no request owns them); the process keeps serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  let running: RunningSwitchyard;
  try {
    running = await startSwitchyard(config, logger);
  } catch (err) {
    // A port that is taken is the operator's to fix: one line, no stack trace.
    if ((err as { code?: unknown }).code !== 'LISTEN_FAILED') throw err;
    logger.flush();
    process.stderr.write(`switchyard: ${(err as Error).message}\n`);
    process.exit(1);
  }
  // Signals are handled before anything is printed: a supervisor that reads the start-up lines and
  // stops the process at once must find the graceful shutdown in place.
  let demoKeyFile: ReturnType<typeof writeDemoSigningKey> | undefined;
  let stopping = false;
  const stop = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { reason, shutdownDelayMs: config.shutdownDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs },
      'shutting down',
    );
    running.close().then(
      () => {
        demoKeyFile?.remove();
        logger.info('stopped');
        logger.flush();
        // Everything is closed, so the process ends by itself; a handle left open is a bug, reported.
        process.exitCode = exitCode;
        setTimeout(() => {
          logger.warn(
            { resources: process.getActiveResourcesInfo() },
            'handles still open after shutdown: exiting',
          );
          logger.flush();
          process.exit(exitCode);
        }, 2000).unref();
      },
      (err: unknown) => {
        demoKeyFile?.remove();
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  // The process may be in an unknown state: drain what is in flight, then exit non-zero.
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    stop('uncaughtException', 1);
  });
  logger.info(
    {
      url: running.url,
      mode: config.upstreams.mode,
      production: config.production,
      graphiql: config.graphiql,
    },
    config.upstreams.mode === 'demo'
      ? `Switchyard (demo upstreams in-process) at ${running.url}`
      : `Switchyard at ${running.url}`,
  );
  logger.info(
    { metrics: running.metricsUrl ?? null, metricsToken: config.metricsToken !== undefined },
    metricsLine(config, running.metricsUrl),
  );
  // Lines are written in batches: the start-up lines go out now, before anything else is printed.
  logger.flush();
  if (running.demoKeys && !stopping) {
    // Printed once, outside the logger (log lines never carry secrets): demo keys live in memory only.
    demoKeyFile = writeDemoSigningKey(running.demoKeys.signer.privateKeyPem);
    const pemPath = demoKeyFile.path;
    const adminRoutes = Object.entries(running.sandboxes ?? {})
      .map(([name, sandbox]) => `${name} ${sandbox.adminUrl}`)
      .join(', ');
    process.stdout.write(
      `\nDemo API keys (shown once; GraphiQL is preset with user-1's):\n` +
        `  user-1 (market:read portfolio:read trade:write exchanges:write keys:self): ${running.demoKeys['user-1']}\n` +
        `  user-2 (market:read portfolio:read keys:self):                             ${running.demoKeys['user-2']}\n` +
        `user-1 signs mutations with keyid ${running.demoKeys.signer.keyId}; its Ed25519 private key is in ${pemPath}\n` +
        `Sandbox admin routes (faults, counters; the exchange's keys): ${adminRoutes}\n\n`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
