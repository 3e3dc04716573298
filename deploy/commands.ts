/**
 * The processes Switchyard deploys as, in one place: one sandbox upstream per source of the list, gateway replicas and
 * the environment that wires them (DESIGN.md "Contract: environment"). docker-compose.yml is checked
 * against it (deploy/compose-check.ts), `npm run sandboxes` and the e2e test run it. The only
 * difference between the two runtimes is the entry file: `node --import tsx x.ts` on the sources,
 * `node dist/x.js` on the build (Dockerfile).
 */
import { type SourceName, sources } from '../sources/index.js';

export type Runtime = 'source' | 'compiled';

/** One sandbox upstream process. */
export interface SandboxProcess {
  readonly name: SourceName;
  readonly transport: 'http' | 'grpc';
  /** Entry script, relative to the repository root. */
  readonly script: string;
  /** Default port of its contract (REST or gRPC). */
  readonly port: number;
  /** gRPC sandboxes: default port of the HTTP admin routes (faults, counters, health). */
  readonly adminPort?: number;
  /** The gateway variable that points at it. */
  readonly targetVariable: string;
}

/** One sandbox process per source of sources/index.ts. */
export const sandboxProcesses: readonly SandboxProcess[] = sources.map((entry) => ({
  name: entry.name,
  transport: entry.transport,
  script: entry.sandboxScript,
  port: entry.defaultPort,
  ...(entry.defaultAdminPort === undefined ? {} : { adminPort: entry.defaultAdminPort }),
  targetVariable: entry.variable,
}));

/** The gateway's entry script. */
export const GATEWAY_SCRIPT = 'src/main.ts';
/** Port the gateway listens on inside a container. */
export const GATEWAY_PORT = 4000;
/** Gateway replicas behind the load balancer. */
export const GATEWAY_REPLICAS = 2;
/**
 * Proxies in front of a gateway: the load balancer (deploy/nginx.conf). The gateways take the client
 * address and, for signatures, the authority and scheme the client used from its X-Forwarded-*.
 */
export const PROXY_HOPS = 1;
/** V8 flag of the gateway (package.json start:prod): fewer scavenges under load. */
const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=64'];

/** Where the build puts a script: `src/main.ts` → `dist/src/main.js`. */
export function compiledPath(script: string): string {
  return `dist/${script.replace(/\.ts$/, '.js')}`;
}

/** The argv that runs a script (argv[0] is `node`). */
export function nodeCommand(
  script: string,
  runtime: Runtime,
  args: readonly string[] = [],
  nodeFlags: readonly string[] = [],
): string[] {
  return runtime === 'source'
    ? ['node', ...nodeFlags, '--import', 'tsx', script, ...args]
    : ['node', ...nodeFlags, compiledPath(script), ...args];
}

/** Where a sandbox listens. */
export interface Listen {
  readonly host: string;
  readonly port: number;
  /** gRPC sandboxes only. */
  readonly adminPort?: number;
}

/** The argv of one sandbox. */
export function sandboxCommand(sandbox: SandboxProcess, listen: Listen, runtime: Runtime): string[] {
  const admin =
    sandbox.adminPort === undefined ? [] : ['--admin-port', String(listen.adminPort ?? sandbox.adminPort)];
  return nodeCommand(sandbox.script, runtime, [
    '--host',
    listen.host,
    '--port',
    String(listen.port),
    ...admin,
  ]);
}

/** The argv of a gateway replica (configured entirely by its environment). */
export function gatewayCommand(runtime: Runtime): string[] {
  return nodeCommand(GATEWAY_SCRIPT, runtime, [], GATEWAY_NODE_FLAGS);
}

/** What a gateway connects to a sandbox with: `http://host:port` for REST, `host:port` for gRPC. */
export function sandboxTarget(sandbox: SandboxProcess, host: string, port: number): string {
  return sandbox.transport === 'http' ? `http://${host}:${port}` : `${host}:${port}`;
}

/**
 * Variables a deployment supplies from its secret store, identical on every replica (API-key hashes
 * must match across instances): docker-compose.yml takes them from the operator's environment
 * (`${KEYS_ENCRYPTION_KEYS:?…}`), never as a literal; the e2e test generates them.
 */
export const GATEWAY_SECRETS = ['KEYS_ENCRYPTION_KEYS'] as const;
export type GatewaySecrets = Record<(typeof GATEWAY_SECRETS)[number], string>;

/** Where a replica finds everything. */
export interface GatewayWiring {
  /** Host and port of each sandbox, as the gateway reaches it. */
  readonly sandboxes: Readonly<Record<SourceName, { host: string; port: number }>>;
  readonly redisUrl: string;
  /** PostgreSQL (DATABASE_URL); omitted: the gateway keeps keys and audit in Redis (outside production only). */
  readonly databaseUrl?: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly secrets: GatewaySecrets;
}

/** The environment of a gateway replica: every variable here is one src/config.ts reads. */
export function gatewayEnvironment(wiring: GatewayWiring): Record<string, string> {
  const env: Record<string, string> = {
    HOST: wiring.host,
    PORT: String(wiring.port),
    REDIS_URL: wiring.redisUrl,
    ...(wiring.databaseUrl ? { DATABASE_URL: wiring.databaseUrl } : {}),
    TRUST_PROXY: String(PROXY_HOPS),
    ...wiring.secrets,
  };
  for (const sandbox of sandboxProcesses) {
    const wired = wiring.sandboxes[sandbox.name];
    if (!wired) throw new Error(`no address for the ${sandbox.name} sandbox`);
    const { host, port } = wired;
    env[sandbox.targetVariable] = sandboxTarget(sandbox, host, port);
  }
  return env;
}

/** A health probe as an argv for Docker (node:24-slim has no curl): exits 0 when GET url is 2xx. */
export function httpProbe(url: string): string[] {
  return ['node', '-e', `fetch('${url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`];
}

/** The URL that tells a sandbox is up: REST sandboxes' /healthz, gRPC sandboxes' admin counters. */
export function sandboxHealthUrl(sandbox: SandboxProcess, host: string, listen: Listen): string {
  return sandbox.transport === 'http'
    ? `http://${host}:${listen.port}/healthz`
    : `http://${host}:${listen.adminPort ?? sandbox.adminPort}/__sandbox/stats`;
}
