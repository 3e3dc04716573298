/**
 * Static check of the deployment files, for a machine without a Docker engine: docker-compose.yml,
 * the Dockerfile and deploy/nginx.conf are parsed and held against the project — the processes of
 * deploy/commands.ts (the ones the e2e test runs), the variables src/config.ts reads (the gateway's
 * environment must load), the files the commands run, and the ports that connect the services.
 * The Dockerfile's own rules are in deploy/dockerfile-check.ts.
 */

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.js';
import {
  compiledPath,
  GATEWAY_PORT,
  GATEWAY_REPLICAS,
  GATEWAY_SECRETS,
  type GatewaySecrets,
  gatewayCommand,
  gatewayEnvironment,
  httpProbe,
  PROXY_HOPS,
  sandboxCommand,
  sandboxHealthUrl,
  sandboxProcesses,
} from './commands.js';
import { checkDockerfile, DOCKERFILE, dockerCmd, dockerStages } from './dockerfile-check.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const COMPOSE_FILE = 'docker-compose.yml';
export const NGINX_CONF = 'deploy/nginx.conf';
/** The image every Switchyard service builds (docker-compose.yml `x-switchyard`). */
export const SWITCHYARD_IMAGE = 'switchyard:local';
/** Stands in for the operator's POSTGRES_PASSWORD when the gateways' DATABASE_URL is resolved. */
const POSTGRES_PASSWORD = 'compose-check-password';

/** The parsed and raw deployment files. */
export interface DeploymentFiles {
  readonly compose: unknown;
  readonly dockerfile: string;
  readonly nginx: string;
}

export interface CheckContext {
  /** Variables the gateway reads (src/config.ts `configVariables`). */
  readonly configVariables: readonly string[];
  /** Whether a repository-relative path exists. */
  readonly exists: (path: string) => boolean;
  /** dist/ has been built: compiled scripts the commands run must exist too. */
  readonly built?: boolean;
}

/** Reads the deployment files from the repository. */
export function readDeploymentFiles(root = REPO_ROOT): DeploymentFiles {
  const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
  return {
    compose: parse(read(COMPOSE_FILE), { merge: true }),
    dockerfile: read(DOCKERFILE),
    nginx: read(NGINX_CONF),
  };
}

/** The context of this repository. */
export function repositoryContext(
  configVariables: readonly string[],
  { built = false, root = REPO_ROOT }: { built?: boolean; root?: string } = {},
): CheckContext {
  return { configVariables, built, exists: (path) => existsSync(resolve(root, path)) };
}

type Service = {
  image?: string;
  build?: { context?: string; target?: string } | string;
  command?: unknown;
  environment?: Record<string, unknown> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: unknown };
  volumes?: unknown[];
  ports?: unknown[];
  expose?: unknown[];
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** Compose interpolation (`${VAR}`, `${VAR:-default}`, `${VAR:?message}`, `$$`) with the given values. */
export function interpolate(value: string, provided: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name, op, arg) => {
    if (match === '$$') return '$';
    const set = provided[name];
    if (set !== undefined && (set !== '' || !op?.startsWith(':'))) return set;
    if (op === ':-' || op === '-') return arg ?? '';
    return '';
  });
}

function environmentOf(service: Service): Record<string, string> {
  const { environment } = service;
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(environment ?? {}).map(([key, value]) => [key, String(value ?? '')]),
  );
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const { depends_on: deps } = service;
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps ?? {}).map(([name, spec]) => [name, spec?.condition]));
}

/** Paths a command runs: the script after the node flags (tsx or compiled). */
function scriptsOf(command: readonly string[]): string[] {
  return command.filter((arg) => /\.(m?js|ts)$/.test(arg));
}

/** Every problem found, one sentence each naming the file and service; empty when all holds. */
export function checkDeployment(files: DeploymentFiles, context: CheckContext): string[] {
  const problems: string[] = [];
  const add = (where: string, what: string) => problems.push(`${where}: ${what}`);
  const compose = (files.compose ?? {}) as {
    services?: Record<string, Service>;
    volumes?: Record<string, unknown>;
  };
  const services = compose.services ?? {};
  const stages = dockerStages(files.dockerfile);

  const gatewayNames = Array.from({ length: GATEWAY_REPLICAS }, (_, i) => `gateway-${i + 1}`);
  const expected = ['postgres', 'redis', ...sandboxProcesses.map((s) => s.name), ...gatewayNames, 'lb'];
  for (const name of expected) if (!services[name]) add(COMPOSE_FILE, `service ${name} is missing`);
  // Other services (monitoring, say) are welcome; one running Switchyard's image must be accounted for.
  for (const [name, service] of Object.entries(services)) {
    if (!expected.includes(name) && (service.build !== undefined || service.image === SWITCHYARD_IMAGE)) {
      add(COMPOSE_FILE, `service ${name} runs the Switchyard image but is not part of deploy/commands.ts`);
    }
  }

  const checkScripts = (where: string, command: readonly string[]) => {
    for (const script of scriptsOf(command)) {
      const source = script.startsWith('dist/') ? script.slice(5).replace(/\.js$/, '.ts') : script;
      if (!context.exists(source)) add(where, `runs ${script}, but ${source} does not exist`);
      else if (script.startsWith('dist/') && compiledPath(source) !== script)
        add(where, `runs ${script}, not the build of ${source}`);
      else if (context.built && !context.exists(script))
        add(where, `runs ${script}, which npm run build did not produce`);
    }
  };

  const checkImage = (name: string, service: Service) => {
    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    if (!build) return add(`${COMPOSE_FILE} ${name}`, 'must build the Switchyard image (build: context .)');
    if (!context.exists(resolve('/', build.context ?? '.', DOCKERFILE).slice(1))) {
      add(`${COMPOSE_FILE} ${name}`, `build context ${build.context} has no ${DOCKERFILE}`);
    }
    if (build.target && !stages.includes(build.target)) {
      add(
        `${COMPOSE_FILE} ${name}`,
        `build target ${build.target} is not a stage of ${DOCKERFILE} (${stages.join(', ')})`,
      );
    }
    if (build.target !== stages.at(-1))
      add(`${COMPOSE_FILE} ${name}`, `must build the runtime stage (${stages.at(-1)})`);
    if (service.image !== SWITCHYARD_IMAGE)
      add(`${COMPOSE_FILE} ${name}`, `must tag its image ${SWITCHYARD_IMAGE}`);
  };

  // Redis: persistence and a health check, so the gateways start only once it answers.
  const redis = services.redis;
  if (redis) {
    const command = list(redis.command);
    if (!redis.image?.startsWith('redis:')) add(`${COMPOSE_FILE} redis`, 'must run a redis: image');
    if (command[command.indexOf('--appendonly') + 1] !== 'yes')
      add(`${COMPOSE_FILE} redis`, 'must persist (--appendonly yes)');
    const volume = list(redis.volumes).find((v) => v.endsWith(':/data'));
    if (!volume) add(`${COMPOSE_FILE} redis`, 'must keep /data on a volume');
    else if (!compose.volumes || !(volume.split(':')[0]! in compose.volumes)) {
      add(`${COMPOSE_FILE} redis`, `volume ${volume.split(':')[0]} is not declared under volumes:`);
    }
    if (!list(redis.healthcheck?.test).includes('ping'))
      add(`${COMPOSE_FILE} redis`, 'needs a healthcheck (redis-cli ping)');
  }

  // PostgreSQL: the system of record, on a volume, its password from the operator's environment.
  const postgres = services.postgres;
  if (postgres) {
    const where = `${COMPOSE_FILE} postgres`;
    if (!postgres.image?.startsWith('postgres:')) add(where, 'must run a postgres: image');
    const volume = list(postgres.volumes).find((v) => v.endsWith(':/var/lib/postgresql/data'));
    if (!volume) add(where, 'must keep /var/lib/postgresql/data on a volume');
    else if (!compose.volumes || !(volume.split(':')[0]! in compose.volumes)) {
      add(where, `volume ${volume.split(':')[0]} is not declared under volumes:`);
    }
    if (!list(postgres.healthcheck?.test).includes('pg_isready'))
      add(where, 'needs a healthcheck (pg_isready)');
    if (!/^\$\{POSTGRES_PASSWORD:\?[^}]+\}$/.test(environmentOf(postgres).POSTGRES_PASSWORD ?? ''))
      add(
        where,
        `POSTGRES_PASSWORD must come from the operator's environment as \${POSTGRES_PASSWORD:?message}`,
      );
  }

  // Sandboxes: exactly the commands of deploy/commands.ts, compiled, on their fixed ports.
  for (const sandbox of sandboxProcesses) {
    const service = services[sandbox.name];
    if (!service) continue;
    const where = `${COMPOSE_FILE} ${sandbox.name}`;
    checkImage(sandbox.name, service);
    const listen = {
      host: '0.0.0.0',
      port: sandbox.port,
      ...(sandbox.adminPort ? { adminPort: sandbox.adminPort } : {}),
    };
    const command = sandboxCommand(sandbox, listen, 'compiled');
    if (!same(service.command, command)) {
      add(
        where,
        `command ${JSON.stringify(service.command)} differs from deploy/commands.ts ${JSON.stringify(command)}`,
      );
    }
    checkScripts(where, list(service.command));
    const probe = ['CMD', ...httpProbe(sandboxHealthUrl(sandbox, '127.0.0.1', listen))];
    if (!same(service.healthcheck?.test, probe)) add(where, `healthcheck must be ${JSON.stringify(probe)}`);
    for (const port of [sandbox.port, sandbox.adminPort]) {
      if (port !== undefined && !list(service.expose).includes(String(port)))
        add(where, `must expose ${port}`);
    }
  }

  // Gateways: the compiled gateway command, and an environment src/config.ts reads and accepts.
  const secrets = Object.fromEntries(
    GATEWAY_SECRETS.map((name) => [name, `v1:${Buffer.alloc(32, 1).toString('base64')}`]),
  ) as GatewaySecrets;
  const wiring = gatewayEnvironment({
    sandboxes: Object.fromEntries(
      sandboxProcesses.map((s) => [s.name, { host: s.name, port: s.port }]),
    ) as never,
    redisUrl: 'redis://redis:6379',
    databaseUrl: `postgres://switchyard:${POSTGRES_PASSWORD}@postgres:5432/switchyard`,
    host: '0.0.0.0',
    port: GATEWAY_PORT,
    secrets,
  });
  const environments: Record<string, string>[] = [];
  for (const name of gatewayNames) {
    const service = services[name];
    if (!service) continue;
    const where = `${COMPOSE_FILE} ${name}`;
    checkImage(name, service);
    const command = service.command === undefined ? dockerCmd(files.dockerfile) : service.command;
    if (!same(command, gatewayCommand('compiled'))) {
      add(
        where,
        `command ${JSON.stringify(command)} differs from deploy/commands.ts ${JSON.stringify(gatewayCommand('compiled'))}`,
      );
    }
    checkScripts(where, list(command));
    const env = environmentOf(service);
    environments.push(env);
    for (const key of Object.keys(env)) {
      if (!context.configVariables.includes(key))
        add(where, `sets ${key}, which src/config.ts does not read`);
    }
    for (const secret of GATEWAY_SECRETS) {
      if (!new RegExp(`^\\$\\{${secret}:\\?[^}]+\\}$`).test(env[secret] ?? '')) {
        add(
          where,
          `${secret} must come from the operator's environment as \${${secret}:?message}, never a literal`,
        );
      }
    }
    if (!(env.DATABASE_URL ?? '').includes('${POSTGRES_PASSWORD:?'))
      add(where, `DATABASE_URL must take its password from \${POSTGRES_PASSWORD:?message}, never a literal`);
    const resolved = Object.fromEntries(
      Object.entries(env).map(([key, value]) => [key, interpolate(value, { ...secrets, POSTGRES_PASSWORD })]),
    );
    for (const [key, value] of Object.entries(wiring)) {
      if (resolved[key] !== value)
        add(
          where,
          `${key} is ${JSON.stringify(resolved[key])}, deploy/commands.ts wires ${JSON.stringify(value)}`,
        );
    }
    try {
      const config = loadConfig(resolved, false);
      if (config.upstreams.mode !== 'remote')
        add(where, 'runs in demo mode: set the four upstream variables');
      if (config.port !== GATEWAY_PORT) add(where, `listens on ${config.port}, not ${GATEWAY_PORT}`);
    } catch (err) {
      add(where, `its environment does not load: ${(err as Error).message.replace(/\n\s*/g, ' ')}`);
    }
    const deps = dependsOn(service);
    for (const dependency of ['postgres', 'redis', ...sandboxProcesses.map((s) => s.name)]) {
      if (deps[dependency] !== 'service_healthy')
        add(where, `must wait for ${dependency} (condition: service_healthy)`);
    }
    if (!service.healthcheck && !/^HEALTHCHECK\b.*\/healthz/m.test(files.dockerfile.replace(/\\\n/g, ' '))) {
      add(where, 'needs a healthcheck on /healthz (its own or the Dockerfile HEALTHCHECK)');
    }
  }
  if (environments.some((env) => !same(env, environments[0]))) {
    add(COMPOSE_FILE, `the gateway replicas must share one environment (${gatewayNames.join(', ')})`);
  }

  // Load balancer: nginx with deploy/nginx.conf, balancing over every replica.
  const lb = services.lb;
  if (lb) {
    const where = `${COMPOSE_FILE} lb`;
    if (!lb.image?.startsWith('nginx:')) add(where, 'must run an nginx: image');
    const mount = list(lb.volumes).find((v) => v.includes(':/etc/nginx/nginx.conf'));
    const hostPath = mount?.split(':')[0]?.replace(/^\.\//, '');
    if (hostPath !== NGINX_CONF) add(where, `must mount ./${NGINX_CONF} at /etc/nginx/nginx.conf`);
    else if (!context.exists(hostPath)) add(where, `mounts ${hostPath}, which does not exist`);
    const servers = [...files.nginx.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    const wanted = gatewayNames.map((name) => `${name}:${GATEWAY_PORT}`);
    if (!same([...servers].sort(), [...wanted].sort())) {
      add(
        NGINX_CONF,
        `upstream servers ${servers.join(', ') || '(none)'} must be the gateway replicas ${wanted.join(', ')}`,
      );
    }
    const listens = [...files.nginx.matchAll(/^\s*listen\s+(\d+)/gm)].map((m) => m[1]);
    const published = list(lb.ports).map((p) => p.split(':').at(-1));
    if (published.length === 0) add(where, 'must publish a port');
    for (const port of published) {
      if (!listens.includes(port))
        add(where, `publishes container port ${port}, but nginx listens on ${listens.join(', ')}`);
    }
    const deps = dependsOn(lb);
    for (const name of gatewayNames) if (!(name in deps)) add(where, `must depend on ${name}`);
    // The gateways trust one proxy hop: this one must say who the client is and what it addressed.
    const headers = new Map(
      [...files.nginx.matchAll(/^\s*proxy_set_header\s+(\S+)\s+(\S+);/gm)].map((m) => [
        m[1]!.toLowerCase(),
        m[2],
      ]),
    );
    const forwarded: [string, string][] = [
      ['X-Forwarded-For', '$proxy_add_x_forwarded_for'],
      ['X-Forwarded-Host', '$http_host'],
      ['X-Forwarded-Proto', '$scheme'],
    ];
    for (const [header, value] of forwarded) {
      if (headers.get(header.toLowerCase()) !== value) {
        add(NGINX_CONF, `must set ${header} ${value} (the gateways run with TRUST_PROXY=${PROXY_HOPS})`);
      }
    }
  }

  problems.push(...checkDockerfile(files.dockerfile, context.exists));
  return problems;
}
