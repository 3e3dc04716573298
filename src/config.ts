/**
 * The only reader of process.env: turns the environment into a typed, validated Config, or fails
 * at start with a message naming each bad variable (DESIGN.md "Contract: environment").
 */
import { z } from 'zod';

/** Where the four upstreams are: `demo` starts the sandboxes in-process on free ports. */
export type UpstreamTargets =
  | { mode: 'demo' }
  | { mode: 'remote'; market: string; signals: string; portfolio: string; trading: string };

export interface Config {
  port: number;
  host: string;
  production: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pretty, human-readable logs (a terminal in development) instead of JSON lines. */
  prettyLogs: boolean;
  redisUrl: string | undefined;
  upstreams: UpstreamTargets;
  /** Per-call upstream timeout / deadline in ms. */
  upstreamTimeoutMs: number;
  /** GraphiQL on GET /graphql from a browser. On outside production, off in production unless GRAPHIQL=true. */
  graphiql: boolean;
  /** Whether the development identity header (X-Switchyard-Dev-User) is honoured: never in production. */
  devIdentity: boolean;
  /** Time in-flight requests get to finish on SIGTERM, in ms. */
  shutdownTimeoutMs: number;
}

/** A configuration error: its message lists every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

const UPSTREAM_VARS = ['MARKET_URL', 'SIGNALS_URL', 'PORTFOLIO_ADDR', 'TRADING_ADDR'] as const;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://market:8080' });
const hostPort = z.string().regex(/^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
  error: 'must be host:port, such as portfolio:50051',
});
const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  LOG_PRETTY: booleanFlag.optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  MARKET_URL: httpUrl.optional(),
  SIGNALS_URL: httpUrl.optional(),
  PORTFOLIO_ADDR: hostPort.optional(),
  TRADING_ADDR: hostPort.optional(),
  UPSTREAM_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(10)
    .max(60_000)
    .default(2000),
  GRAPHIQL: booleanFlag.optional(),
  SHUTDOWN_TIMEOUT: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(0)
    .max(600_000)
    .default(25_000),
});

/** Reads and validates the environment. Empty strings count as unset. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTTY = Boolean(process.stdout.isTTY),
): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) =>
        `  ${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(present[String(issue.path[0])])})`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const set = UPSTREAM_VARS.filter((name) => e[name] !== undefined);
  if (set.length > 0 && set.length < UPSTREAM_VARS.length) {
    const missing = UPSTREAM_VARS.filter((name) => e[name] === undefined);
    throw new ConfigError(
      `Invalid configuration:\n  ${missing.join(', ')}: must be set too — set all four upstream variables, or none for demo mode (in-process sandboxes)`,
    );
  }
  const production = e.NODE_ENV === 'production';
  return {
    port: e.PORT,
    host: e.HOST,
    production,
    logLevel: e.LOG_LEVEL ?? 'info',
    prettyLogs: e.LOG_PRETTY ?? (!production && stdoutIsTTY),
    redisUrl: e.REDIS_URL,
    upstreams:
      set.length === 0
        ? { mode: 'demo' }
        : {
            mode: 'remote',
            market: e.MARKET_URL!,
            signals: e.SIGNALS_URL!,
            portfolio: e.PORTFOLIO_ADDR!,
            trading: e.TRADING_ADDR!,
          },
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    graphiql: e.GRAPHIQL ?? !production,
    devIdentity: !production,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
  };
}
