/**
 * Process entry: reads config, starts the demo sandboxes when no upstream is configured, connects
 * the sources and Redis, listens, and shuts down gracefully on SIGTERM/SIGINT.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RunningSandbox } from '../sources/sandbox-kit/types.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { connectSources, type SourceName, startSandboxes } from './gateway/registry.js';
import { createLogger } from './logger.js';
import { createGateway } from './server.js';

/** A started Switchyard: its URL and how to stop it. */
export interface RunningSwitchyard {
  readonly url: string;
  readonly port: number;
  /** Demo mode only: the in-process sandboxes. */
  readonly sandboxes: Record<SourceName, RunningSandbox> | undefined;
  /** Stops accepting, lets in-flight requests finish (up to shutdownTimeoutMs), closes everything. */
  close(): Promise<void>;
}

/** Starts the gateway for a config: used by the process entry below and by tests. */
export async function startSwitchyard(config: Config, logger: Logger): Promise<RunningSwitchyard> {
  const sandboxes = config.upstreams.mode === 'demo' ? await startSandboxes() : undefined;
  const targets: Record<SourceName, string> =
    config.upstreams.mode === 'demo'
      ? (Object.fromEntries(
          Object.entries(sandboxes!).map(([name, sandbox]) => [name, sandbox.target]),
        ) as Record<SourceName, string>)
      : config.upstreams;
  const sources = connectSources(targets, config.upstreamTimeoutMs);
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;

  let draining = false;
  const gateway = createGateway({
    config,
    logger,
    sources,
    readinessChecks: redis ? { redis: () => redis.ping() } : {},
    isDraining: () => draining,
  });
  const server = createServer({ keepAliveTimeout: 65_000 }, gateway);
  await listen(server, config.port, config.host);
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}/graphql`;

  return {
    url,
    port,
    sandboxes,
    async close() {
      draining = true;
      await drain(server, config.shutdownTimeoutMs, logger);
      await Promise.allSettled(Object.values(sources).map((connected) => connected.close()));
      if (redis) await redis.quit().catch(() => redis.disconnect());
      if (sandboxes) await Promise.allSettled(Object.values(sandboxes).map((sandbox) => sandbox.close()));
    },
  };
}

/**
 * Redis fails fast when down (no hanging offline queue), per library-notes.md. Start-up waits a
 * moment for the first connection but does not require it: what depends on Redis decides how to
 * fail (DESIGN.md "Failure policy"), and /readyz reports it.
 */
async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, { enableOfflineQueue: false, commandTimeout: 500, maxRetriesPerRequest: 1 });
  redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis error'));
  const ready = await Promise.race([
    once(redis, 'ready').then(
      () => true,
      () => false, // the first attempt failed; ioredis keeps reconnecting in the background
    ),
    new Promise<false>((resolve) => setTimeout(resolve, 2000, false).unref()),
  ]);
  if (!ready) logger.warn('redis is not reachable yet; continuing and reporting it on /readyz');
  return redis;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting connections, closes idle ones, and waits for in-flight requests up to the deadline. */
async function drain(server: Server, timeoutMs: number, logger: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    logger.warn({ timeoutMs }, 'shutdown deadline reached: closing remaining connections');
    server.closeAllConnections();
  }, timeoutMs);
  await closed;
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
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  const running = await startSwitchyard(config, logger);
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
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
