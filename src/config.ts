/**
 * The only reader of process.env: turns the environment into a typed, validated Config, or fails
 * at start with a message naming each bad variable (DESIGN.md "Contract: environment").
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sources as defaultSources } from '../sources/index.js';
import type { CorsOrigins } from './gateway/cors.js';
import type { SourceList } from './gateway/registry.js';
import { type KeyringVersion, parseEncryptionKey, parseKeyring, SINGLE_KEY_VERSION } from './keys/keyring.js';
import type { SamplerName, TracingConfig } from './telemetry/tracing.js';

/**
 * Where the upstreams are: `demo` starts every source's sandbox in-process on a free port; `remote`
 * has one target per source of the list (its variable's value).
 */
export type UpstreamTargets =
  | { mode: 'demo' }
  | { mode: 'remote'; targets: Readonly<Record<string, string>> };

/**
 * The Redis nodes' credentials (AUTH), as ioredis's `username` and `password` options take them:
 * REDIS_USERNAME and REDIS_PASSWORD, each present only when set. With REDIS_URL they are in the URL.
 */
export interface RedisCredentials {
  /** The ACL user (REDIS_USERNAME); absent: Redis's `default` user. */
  username?: string;
  /** The password of the data nodes (REDIS_PASSWORD: `requirepass`, or the ACL user's). */
  password?: string;
}

/**
 * Redis behind Sentinel: the client asks the sentinels which node is the master of `name`, and
 * asks again when it loses it (a failover), so the same object serves ioredis's sentinel options.
 */
export interface RedisSentinelConfig extends RedisCredentials {
  /** The sentinels, as REDIS_SENTINELS lists them (any one answering is enough). */
  sentinels: { host: string; port: number }[];
  /** The master group name the sentinels monitor (REDIS_SENTINEL_NAME). */
  name: string;
  /** The sentinels' own ACL user (REDIS_SENTINEL_USERNAME). */
  sentinelUsername?: string;
  /** The sentinels' own password (REDIS_SENTINEL_PASSWORD: their `requirepass`), not the data nodes'. */
  sentinelPassword?: string;
}

/**
 * A Redis Cluster (REDIS_CLUSTER_NODES): the client asks these nodes (any one answering is enough)
 * for the slot map, then talks to each slot's master; it follows failovers and resharding itself.
 */
export interface RedisClusterConfig extends RedisCredentials {
  /** Startup nodes, as REDIS_CLUSTER_NODES lists them. */
  nodes: { host: string; port: number }[];
}

export interface Config {
  port: number;
  host: string;
  production: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pretty, human-readable logs (a terminal in development) instead of JSON lines. */
  prettyLogs: boolean;
  /** Redis by URL (REDIS_URL); undefined with Sentinel or without Redis. */
  redisUrl: string | undefined;
  /** Redis behind Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_NAME); never set with redisUrl. */
  redisSentinel: RedisSentinelConfig | undefined;
  /** A Redis Cluster (REDIS_CLUSTER_NODES); never set with redisUrl or redisSentinel. */
  redisCluster: RedisClusterConfig | undefined;
  /** PostgreSQL, the system of record for API keys and the audit trail; undefined: memory (never in production). */
  databaseUrl: string | undefined;
  upstreams: UpstreamTargets;
  /** Per-call upstream timeout / deadline in ms. */
  upstreamTimeoutMs: number;
  /** GraphiQL on GET /graphql from a browser. On outside production, off in production unless GRAPHIQL=true. */
  graphiql: boolean;
  /** JWT bearer verification; null when no JWKS is configured (bearer tokens are then refused). */
  jwt: { jwks: { url: string } | { file: string }; issuer: string; audience: string } | null;
  /** 32-byte master key for API-key hashing and signing-secret encryption; `ephemeral` when generated for a demo. */
  /**
   * The key-encryption keyring (KEYS_ENCRYPTION_KEYS, or KEYS_ENCRYPTION_KEY as the ring `v1:…`),
   * the first version active; ephemeral: neither set, a random one-key ring for this process.
   */
  keyring: { versions: readonly KeyringVersion[]; ephemeral: boolean };
  /** Each source's own settings (its entry's `settings`), by source name. */
  sourceSettings: Readonly<Record<string, unknown>>;
  /** Which API keys this deployment accepts. */
  apiKeyEnvironment: 'live' | 'test';
  /** Proxies in front of the gateway whose X-Forwarded-For entries are trusted (0: none). */
  trustedProxyHops: number;
  /** Namespace of every Redis key. */
  redisKeyPrefix: string;
  /** Oldest acceptable signature `created`, in seconds. */
  signatureMaxAgeSeconds: number;
  /** Multiplier of every @rateLimit max and of the cost budget, per plan. */
  rateLimitPlans: Record<string, number>;
  /** Whether query answers are cached (RESPONSE_CACHE, default on). */
  responseCache: boolean;
  /** Whether concurrent identical upstream reads share one call (UPSTREAM_DEDUP, default on). */
  upstreamDedup: boolean;
  /**
   * Persisted operations: `automatic` (APQ for every client, ad-hoc operations allowed) or
   * `required` (only the operations of schema/operations run, by hash or exact text).
   */
  persistedOperations: 'automatic' | 'required';
  /** Time in-flight requests get to finish on SIGTERM, in ms. */
  shutdownTimeoutMs: number;
  /**
   * On SIGTERM, time during which the gateway keeps accepting connections while /readyz answers 503,
   * so load balancers stop routing to it before it closes its listener (part of shutdownTimeoutMs).
   * Default 5000 in production (at most half of shutdownTimeoutMs), 0 elsewhere.
   */
  shutdownDelayMs: number;
  /** Time a client gets to send the request headers, in ms (Node's `headersTimeout`). */
  headersTimeoutMs: number;
  /**
   * Time a client gets to send the whole request, body included, in ms (Node's `requestTimeout`):
   * a body that trickles in slower is cut off with 408 and the connection closed.
   */
  requestTimeoutMs: number;
  /** Open connections the main listener accepts at once; more are closed as they arrive. */
  maxConnections: number;
  /** Concurrent subscriptions of one client on the `free` plan, across instances; plans scale it. */
  maxSubscriptionsPerClient: number;
  /**
   * Bearer token GET /metrics requires. Undefined: /metrics is open outside production, refused
   * (403) on the main port in production, open on METRICS_PORT's listener.
   */
  metricsToken: string | undefined;
  /** Port of a second listener that serves only GET /metrics (on HOST); undefined: the main port serves it. */
  metricsPort: number | undefined;
  /**
   * Origins a browser may call from (CORS_ORIGINS): `*` (any, without credentials), a list of exact
   * origins, or `loopback` (http://localhost, 127.0.0.1 and [::1] on any port: the default outside
   * production). Production's default is `[]`: no CORS headers at all.
   */
  corsOrigins: CorsOrigins;
  /** OpenTelemetry tracing from the standard OTEL_* variables; null when off. */
  tracing: TracingConfig | null;
}

/** A configuration error: its message lists every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

const port = z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://market:8080' });
const hostPort = z.string().regex(/^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
  error: 'must be host:port, such as portfolio:50051',
});
const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');
/** `key=value,key2=value2` (W3C baggage style, values percent-decoded), as OTEL_* lists are written. */
const keyValueList = z
  .string()
  .regex(/^\s*[^=,\s]+\s*=[^,]*(?:,\s*[^=,\s]+\s*=[^,]*)*$/, {
    error: 'must be key=value pairs separated by commas',
  })
  .transform((v) =>
    Object.fromEntries(
      v.split(',').map((pair) => {
        const at = pair.indexOf('=');
        return [pair.slice(0, at).trim(), percentDecoded(pair.slice(at + 1).trim())];
      }),
    ),
  );
function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a lone `%` is a literal character
  }
}
const otlpProtocol = z.enum(['http/json'], {
  error: 'only http/json is supported (OTLP over HTTP with JSON bodies; collectors accept it on port 4318)',
});
const samplerNames = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const satisfies readonly SamplerName[];

/**
 * CORS_ORIGINS: `*` alone, or comma-separated exact origins (`https://app.example.com`, a port if
 * not the default), each normalised as browsers send it in `Origin`. No paths, no wildcard hosts:
 * an allowlist that matches more than it names is how origins get trusted by accident.
 */
function corsOrigins(value: string, ctx: z.core.$RefinementCtx<string>): CorsOrigins {
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '*') return '*';
  const origins: string[] = [];
  for (const entry of entries) {
    const origin = exactOrigin(entry);
    if (origin === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(entry.slice(0, 100))} is not an origin: write * alone, or origins such as https://app.example.com (scheme and host, a port if needed, no path, no wildcard)`,
      });
      return z.NEVER;
    }
    if (!origins.includes(origin)) origins.push(origin);
  }
  return origins;
}

function exactOrigin(entry: string): string | undefined {
  // Scheme and authority only, no user info; URL then checks the host and normalises case and port.
  if (!/^https?:\/\/[^/?#@*\s]+\/?$/i.test(entry)) return undefined;
  try {
    const { origin, hostname } = new URL(entry);
    return hostname === '' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * `host:port,host:port` (REDIS_SENTINELS, REDIS_CLUSTER_NODES): each entry a host name, IPv4 or
 * [IPv6] address and a port. `what` names the entries and shows an example in the messages.
 */
function hostPortList(what: { plural: string; example: string; defaultPort: string }) {
  return (value: string, ctx: z.core.$RefinementCtx<string>): { host: string; port: number }[] => {
    const entries: { host: string; port: number }[] = [];
    const problems: string[] = [];
    for (const entry of value.split(',').map((part) => part.trim())) {
      const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[3]);
      if (!match) {
        problems.push(
          `${JSON.stringify(entry.slice(0, 60))} is not host:port — list the ${what.plural} as host:port separated by commas, such as ${what.example}`,
        );
      } else if (port < 1 || port > 65535) {
        problems.push(`${JSON.stringify(entry)}: the port must be 1-65535 (${what.defaultPort})`);
      } else {
        entries.push({ host: (match[1] ?? match[2]) as string, port });
      }
    }
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return problems.length > 0 ? z.NEVER : entries;
  };
}

/** An ACL user name (REDIS_USERNAME, REDIS_SENTINEL_USERNAME): Redis refuses spaces in one. */
const redisUsername = z.string().regex(/^[^\s\p{Cc}]{1,256}$/u, {
  error: 'must be a Redis ACL user name: 1-256 characters, no spaces',
});
/**
 * A Redis password (REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD). Spaces or a line break at either end
 * are almost always a Secret written with `echo` (its newline): refused at start, where the server
 * would only say "invalid password" at every connection.
 */
const redisPassword = z
  .string()
  .max(4096, { error: 'must be at most 4096 characters' })
  .refine((value) => value.trim() === value, {
    error: 'must not start or end with spaces or a line break (a Secret written with echo keeps its newline)',
  });

const sentinelList = hostPortList({
  plural: 'sentinels',
  example: 'sentinel-1:26379,sentinel-2:26379',
  defaultPort: 'a sentinel listens on 26379 by default',
});
const clusterNodeList = hostPortList({
  plural: 'cluster nodes',
  example: 'redis-1:6379,redis-2:6379,redis-3:6379',
  defaultPort: 'a cluster node listens on 6379 by default',
});

/**
 * RATE_LIMIT_PLANS: `plan=multiplier` pairs. Every multiplier is a positive number (0 would make
 * every limit of the plan 0: each request refused as if its budget were spent), and `free` is
 * required: it is the plan of every key and token that names none.
 */
function rateLimitPlans(value: string, ctx: z.core.$RefinementCtx<string>): Record<string, number> {
  const plans: Record<string, number> = {};
  const problems: string[] = [];
  for (const pair of value.split(',').map((entry) => entry.trim())) {
    const match = /^([a-z][a-z0-9-]*)=(.*)$/.exec(pair);
    const shown = JSON.stringify(pair.slice(0, 60));
    if (!match) {
      problems.push(`${shown} is not plan=multiplier (plan names are lowercase, such as free=1,pro=10)`);
      continue;
    }
    const [, plan, raw] = match as unknown as [string, string, string];
    const multiplier = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isNaN(multiplier)) {
      problems.push(`${pair}: a multiplier must be a positive number such as 1, 10 or 0.5`);
    } else if (multiplier === 0) {
      problems.push(
        `${pair}: a multiplier must be greater than 0 (0 would refuse every request of the plan)`,
      );
    } else if (plan in plans) {
      problems.push(`${plan} is set twice`);
    } else {
      plans[plan] = multiplier;
    }
  }
  if (problems.length === 0 && !('free' in plans)) {
    problems.push('must include free (the plan of keys and tokens that name none), such as free=1,pro=10');
  }
  for (const message of problems) ctx.addIssue({ code: 'custom', message });
  return problems.length > 0 ? z.NEVER : plans;
}

/** Options of loadConfig for tools that share the gateway's environment. */
export interface LoadConfigOptions {
  /**
   * Whether the caller calls the upstreams. A tool that never does (the keys CLI) passes false, so
   * that production does not ask it for upstream variables it would not use.
   * @default true
   */
  needsUpstreams?: boolean;
  /** The sources whose variables are read. @default the list of sources/index.ts */
  sources?: SourceList;
}

/** Variables whose values may hold credentials: never quoted in a configuration error. */
const SECRET_VARS: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  'KEYS_ENCRYPTION_KEY',
  'KEYS_ENCRYPTION_KEYS',
  'METRICS_TOKEN',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
]);

const envSchema = z.object({
  PORT: port.default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  NODE_ENV: z
    .enum(['development', 'test', 'production'], { error: 'must be development, test or production' })
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  LOG_PRETTY: booleanFlag.optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_SENTINELS: z.string().transform(sentinelList).optional(),
  REDIS_CLUSTER_NODES: z.string().transform(clusterNodeList).optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, {
      error: 'must be the master group name the sentinels monitor (A-Z a-z 0-9 . _ -), such as mymaster',
    })
    .optional(),
  REDIS_USERNAME: redisUsername.optional(),
  REDIS_PASSWORD: redisPassword.optional(),
  REDIS_SENTINEL_USERNAME: redisUsername.optional(),
  REDIS_SENTINEL_PASSWORD: redisPassword.optional(),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
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
  JWT_JWKS_URL: httpUrl.optional(),
  JWT_JWKS_FILE: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  KEYS_ENCRYPTION_KEY: z
    .string()
    .refine((v) => /^[0-9a-fA-F]{64}$/.test(v) || Buffer.from(v, 'base64').length === 32, {
      error: 'must be 32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)',
    })
    .optional(),
  KEYS_ENCRYPTION_KEYS: z
    .string()
    .transform((value, ctx) => {
      try {
        return parseKeyring(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${(err as Error).message} (first active: v2:…,v1:…)` });
        return z.NEVER;
      }
    })
    .optional(),
  API_KEY_ENVIRONMENT: z.enum(['live', 'test'], { error: 'must be live or test' }).optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2})$/, { error: 'must be false, true (one proxy) or the number of proxies' })
    .transform((v) => (v === 'true' ? 1 : v === 'false' ? 0 : Number(v)))
    .optional(),
  RATE_LIMIT_PLANS: z.string().transform(rateLimitPlans).optional(),
  PERSISTED_OPERATIONS: z
    .enum(['automatic', 'required'], {
      error: 'must be automatic (APQ, ad-hoc operations allowed) or required (only schema/operations)',
    })
    .default('automatic'),
  RESPONSE_CACHE: booleanFlag.optional(),
  UPSTREAM_DEDUP: booleanFlag.optional(),
  SIGNATURE_MAX_AGE_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int()
    .min(5, { error: 'must be at least 5 seconds' })
    .max(300, { error: 'must be at most 300 seconds' })
    .default(30),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, { error: 'must be 1-64 of A-Z a-z 0-9 : _ . -' })
    .optional(),
  MAX_SUBSCRIPTIONS_PER_CLIENT: z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(100_000)
    .default(20),
  SHUTDOWN_DELAY: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(0)
    .max(120_000)
    .optional(),
  HEADERS_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(100)
    .max(120_000)
    .default(10_000),
  REQUEST_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(100)
    .max(600_000)
    .default(30_000),
  MAX_CONNECTIONS: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1_000_000).default(10_000),
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,512}$/, { error: 'must be 16-512 printable characters without spaces' })
    .optional(),
  METRICS_PORT: port.optional(),
  CORS_ORIGINS: z.string().transform(corsOrigins).optional(),
  OTEL_SDK_DISABLED: booleanFlag.optional(),
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'console', 'none'], { error: 'must be otlp, console or none' })
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList.optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).optional(),
  OTEL_RESOURCE_ATTRIBUTES: keyValueList.optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(samplerNames, { error: `must be one of ${samplerNames.join(', ')}` })
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number({ error: 'must be a ratio 0..1' }).min(0).max(1).optional(),
});

/** One variable per source of the list: an http(s) URL for REST sources, host:port for gRPC ones. */
function upstreamVariables(list: SourceList) {
  return Object.fromEntries(
    list.map((entry) => [entry.variable, (entry.transport === 'http' ? httpUrl : hostPort).optional()]),
  );
}

/** The sources' own variables (each entry's `settings`), one schema for all of them. */
function sourceSettingVariables(list: SourceList) {
  return Object.assign({}, ...list.map((entry) => entry.settings?.shape ?? {})) as z.ZodRawShape;
}

/** Every variable the gateway reads: deployment files are checked against it (npm run compose:check). */
export const configVariables: readonly string[] = [
  ...Object.keys(envSchema.shape),
  ...defaultSources.map((entry) => entry.variable),
  ...Object.keys(sourceSettingVariables(defaultSources)),
];

/**
 * Variables whose values may hold credentials: a deployment takes them from its secret store
 * (deploy/kubernetes: secretKeyRef, checked by npm run k8s:check), never from a plain value.
 */
export const secretVariables: readonly string[] = [...SECRET_VARS];

/**
 * Variables loadConfig refuses to start without in production (the gateway, needsUpstreams): every
 * deployment must set them (compose:check and k8s:check load their environments; k8s:check also
 * names the missing ones). test/unit/kubernetes-check.test.ts holds this list to loadConfig.
 */
export const productionRequiredVariables: readonly string[] = [
  'DATABASE_URL',
  // The older KEYS_ENCRYPTION_KEY (a one-key ring) is still accepted; deployments set the ring.
  'KEYS_ENCRYPTION_KEYS',
  ...defaultSources.map((entry) => entry.variable),
];

/** Reads and validates the environment. Empty strings count as unset. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTTY = Boolean(process.stdout.isTTY),
  { needsUpstreams = true, sources = defaultSources }: LoadConfigOptions = {},
): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  const targets = z.object(upstreamVariables(sources)).safeParse(present);
  const settings = z.object(sourceSettingVariables(sources)).safeParse(present);
  const issues = [
    ...(parsed.error?.issues ?? []),
    ...(targets.error?.issues ?? []),
    ...(settings.error?.issues ?? []),
  ];
  if (!parsed.success || !targets.success || !settings.success) {
    const lines = issues.map((issue) => {
      const name = String(issue.path[0]);
      const got = SECRET_VARS.has(name) ? 'a value not shown here' : JSON.stringify(present[name]);
      return `  ${issue.path.join('.')}: ${issue.message} (got ${got})`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const upstream = (variable: string) => targets.data[variable];
  const production = e.NODE_ENV === 'production';
  const problems: string[] = [];
  const variables = sources.map((entry) => entry.variable);
  const set = variables.filter((name) => upstream(name) !== undefined);
  const missing = variables.filter((name) => upstream(name) === undefined);
  if (set.length > 0 && missing.length > 0) {
    problems.push(
      `${missing.join(', ')}: must be set too — set every upstream variable, or none for demo mode (in-process sandboxes)`,
    );
  } else if (set.length === 0 && production && needsUpstreams) {
    // Demo mode would serve the sandboxes' fabricated prices as if they were real.
    problems.push(
      `${missing.join(', ')}: required in production (demo mode, with in-process sandboxes, runs only outside production)`,
    );
  }
  if (e.JWT_JWKS_URL && e.JWT_JWKS_FILE) problems.push('JWT_JWKS_URL, JWT_JWKS_FILE: set one, not both');
  const jwks = e.JWT_JWKS_URL ? { url: e.JWT_JWKS_URL } : e.JWT_JWKS_FILE ? { file: e.JWT_JWKS_FILE } : null;
  const jwtMissing = [
    ...(jwks ? [] : ['JWT_JWKS_URL or JWT_JWKS_FILE']),
    ...(e.JWT_ISSUER ? [] : ['JWT_ISSUER']),
    ...(e.JWT_AUDIENCE ? [] : ['JWT_AUDIENCE']),
  ];
  // Any JWT variable set means bearer tokens are wanted: half a configuration is a mistake, not "off".
  if (jwtMissing.length > 0 && jwtMissing.length < 3) {
    problems.push(
      `${jwtMissing.join(', ')}: missing — JWT bearer verification needs a key set (JWT_JWKS_URL or JWT_JWKS_FILE), JWT_ISSUER and JWT_AUDIENCE (tokens of other issuers or APIs are refused); set all three to accept bearer tokens, or none to refuse them`,
    );
  }
  problems.push(...redisProblems(e));
  if (e.KEYS_ENCRYPTION_KEY && e.KEYS_ENCRYPTION_KEYS) {
    problems.push(
      'KEYS_ENCRYPTION_KEY, KEYS_ENCRYPTION_KEYS: set one, not both — put the old key in the ring as v1 (KEYS_ENCRYPTION_KEYS=v2:<new>,v1:<old>)',
    );
  }
  if (
    !e.KEYS_ENCRYPTION_KEY &&
    !e.KEYS_ENCRYPTION_KEYS &&
    (production || e.REDIS_URL || e.REDIS_SENTINELS || e.REDIS_CLUSTER_NODES)
  ) {
    problems.push(
      'KEYS_ENCRYPTION_KEYS (or KEYS_ENCRYPTION_KEY): required in production and with REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (every instance must hash keys alike); generate one with echo "v1:$(openssl rand -base64 32)"',
    );
  }
  if (!e.DATABASE_URL && production && needsUpstreams) {
    // Memory keys and audit die with the process; Redis is not a system of record (DESIGN.md).
    // Tools (needsUpstreams: false) check for DATABASE_URL themselves when they need it.
    problems.push(
      'DATABASE_URL: required in production (PostgreSQL keeps API keys and the audit trail), such as postgres://switchyard@db:5432/switchyard',
    );
  }
  if (e.SHUTDOWN_DELAY !== undefined && e.SHUTDOWN_DELAY > 0 && e.SHUTDOWN_DELAY >= e.SHUTDOWN_TIMEOUT) {
    problems.push(
      `SHUTDOWN_DELAY: must be less than SHUTDOWN_TIMEOUT (${e.SHUTDOWN_TIMEOUT} ms), which it is part of`,
    );
  }
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) {
    // Node refuses a headersTimeout longer than requestTimeout: the headers are part of the request.
    problems.push(
      `HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS} ms), which includes the headers`,
    );
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    problems.push(`METRICS_PORT: must differ from PORT (${e.PORT}): it is a second listener`);
  }
  if (problems.length > 0)
    throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    port: e.PORT,
    host: e.HOST,
    production,
    logLevel: e.LOG_LEVEL ?? 'info',
    prettyLogs: e.LOG_PRETTY ?? (!production && stdoutIsTTY),
    redisUrl: e.REDIS_URL,
    redisSentinel:
      e.REDIS_SENTINELS && e.REDIS_SENTINEL_NAME
        ? {
            sentinels: e.REDIS_SENTINELS,
            name: e.REDIS_SENTINEL_NAME,
            ...credentials(e.REDIS_USERNAME, e.REDIS_PASSWORD),
            ...(e.REDIS_SENTINEL_USERNAME ? { sentinelUsername: e.REDIS_SENTINEL_USERNAME } : {}),
            ...(e.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
          }
        : undefined,
    redisCluster: e.REDIS_CLUSTER_NODES
      ? { nodes: e.REDIS_CLUSTER_NODES, ...credentials(e.REDIS_USERNAME, e.REDIS_PASSWORD) }
      : undefined,
    databaseUrl: e.DATABASE_URL,
    upstreams:
      set.length === 0
        ? { mode: 'demo' }
        : {
            mode: 'remote',
            targets: Object.fromEntries(sources.map((entry) => [entry.name, upstream(entry.variable)!])),
          },
    sourceSettings: Object.fromEntries(
      sources.flatMap((entry) => (entry.settings ? [[entry.name, entry.settings.parse(present)]] : [])),
    ),
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    graphiql: e.GRAPHIQL ?? !production,
    jwt:
      jwks && e.JWT_ISSUER && e.JWT_AUDIENCE
        ? { jwks, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE }
        : null,
    keyring: e.KEYS_ENCRYPTION_KEYS
      ? { versions: e.KEYS_ENCRYPTION_KEYS, ephemeral: false }
      : {
          versions: [
            {
              version: SINGLE_KEY_VERSION,
              secret: e.KEYS_ENCRYPTION_KEY ? parseEncryptionKey(e.KEYS_ENCRYPTION_KEY) : randomBytes(32),
            },
          ],
          ephemeral: !e.KEYS_ENCRYPTION_KEY,
        },
    apiKeyEnvironment: e.API_KEY_ENVIRONMENT ?? (production ? 'live' : 'test'),
    trustedProxyHops: e.TRUST_PROXY ?? 0,
    redisKeyPrefix: e.REDIS_KEY_PREFIX ?? 'switchyard:',
    signatureMaxAgeSeconds: e.SIGNATURE_MAX_AGE_SECONDS,
    rateLimitPlans: e.RATE_LIMIT_PLANS ?? { free: 1, pro: 10, enterprise: 100 },
    responseCache: e.RESPONSE_CACHE ?? true,
    upstreamDedup: e.UPSTREAM_DEDUP ?? true,
    persistedOperations: e.PERSISTED_OPERATIONS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
    // Production drains by default: /readyz answers 503 for a few probe intervals before the listener closes.
    shutdownDelayMs:
      e.SHUTDOWN_DELAY ?? (production ? Math.min(5_000, Math.floor(e.SHUTDOWN_TIMEOUT / 2)) : 0),
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    maxConnections: e.MAX_CONNECTIONS,
    maxSubscriptionsPerClient: e.MAX_SUBSCRIPTIONS_PER_CLIENT,
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    corsOrigins: e.CORS_ORIGINS ?? (production ? [] : 'loopback'),
    tracing: tracingConfig(e),
  };
}

/**
 * One way to Redis: REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES.
 * Half a Sentinel configuration is a mistake, not "no Redis".
 */
function redisProblems(e: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  const ways = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((name) => e[name]);
  if (ways.length > 1) {
    problems.push(
      `${ways.join(', ')}: set one, not ${ways.length === 2 ? 'both' : 'several'} — REDIS_URL for one Redis, REDIS_SENTINELS (with REDIS_SENTINEL_NAME) for Redis behind Sentinel, REDIS_CLUSTER_NODES for a Redis Cluster`,
    );
  }
  if (e.REDIS_SENTINELS && !e.REDIS_SENTINEL_NAME) {
    problems.push(
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS — the master group name the sentinels monitor (sentinel monitor <name> …), such as mymaster',
    );
  }
  if (e.REDIS_SENTINEL_NAME && !e.REDIS_SENTINELS) {
    problems.push(
      'REDIS_SENTINEL_NAME: only with REDIS_SENTINELS (the sentinels that know this master group)',
    );
  }
  problems.push(...redisCredentialProblems(e));
  return problems;
}

/**
 * REDIS_USERNAME and REDIS_PASSWORD go with REDIS_SENTINELS or REDIS_CLUSTER_NODES, the sentinels'
 * own with REDIS_SENTINELS only; REDIS_URL carries its credentials itself (two places for one
 * password is one too many). A user without its password is a mistake, not "no AUTH".
 */
function redisCredentialProblems(e: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  const set = (names: readonly (keyof typeof e)[]) => names.filter((name) => e[name] !== undefined);
  const nodes = set(['REDIS_USERNAME', 'REDIS_PASSWORD']);
  const sentinels = set(['REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD']);
  if (e.REDIS_URL && nodes.length + sentinels.length > 0) {
    problems.push(
      `${[...nodes, ...sentinels].join(', ')}: not with REDIS_URL — put the credentials in the URL, such as redis://user:password@redis:6379 (percent-encode @ : / in the password); these variables are for REDIS_SENTINELS and REDIS_CLUSTER_NODES`,
    );
  } else {
    if (nodes.length > 0 && !e.REDIS_SENTINELS && !e.REDIS_CLUSTER_NODES) {
      problems.push(
        `${nodes.join(', ')}: only with REDIS_SENTINELS or REDIS_CLUSTER_NODES (the Redis nodes' credentials)`,
      );
    }
    if (sentinels.length > 0 && !e.REDIS_SENTINELS) {
      problems.push(
        `${sentinels.join(', ')}: only with REDIS_SENTINELS (the sentinels' own credentials; the Redis nodes' are REDIS_USERNAME and REDIS_PASSWORD)`,
      );
    }
  }
  if (e.REDIS_USERNAME && !e.REDIS_PASSWORD)
    problems.push("REDIS_USERNAME: needs REDIS_PASSWORD (the ACL user's password)");
  if (e.REDIS_SENTINEL_USERNAME && !e.REDIS_SENTINEL_PASSWORD)
    problems.push(
      "REDIS_SENTINEL_USERNAME: needs REDIS_SENTINEL_PASSWORD (the sentinels' ACL user's password)",
    );
  return problems;
}

/** ioredis's `username` and `password`, each only when set. */
function credentials(username: string | undefined, password: string | undefined): RedisCredentials {
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/**
 * Tracing is on when an exporter is asked for: OTEL_TRACES_EXPORTER=otlp|console, or an OTLP
 * endpoint set while OTEL_TRACES_EXPORTER is unset. OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none turn it off whatever else is set.
 */
function tracingConfig(e: z.infer<typeof envSchema>): TracingConfig | null {
  const endpointSet =
    e.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
  const exporter = e.OTEL_TRACES_EXPORTER ?? (endpointSet ? 'otlp' : 'none');
  if (e.OTEL_SDK_DISABLED || exporter === 'none') return null;
  // The generic endpoint is a base URL; the traces endpoint is used as it is (OTLP exporter spec).
  const endpoint =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    `${(e.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318').replace(/\/+$/, '')}/v1/traces`;
  return {
    exporter,
    endpoint,
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    serviceName: e.OTEL_SERVICE_NAME ?? e.OTEL_RESOURCE_ATTRIBUTES?.['service.name'] ?? 'switchyard',
    resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES ?? {},
    sampler: e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}
