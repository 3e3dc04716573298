/**
 * Static check of deploy/kubernetes (npm run k8s:check), for a machine without a cluster: every
 * manifest against the Kubernetes schemas (deploy/kubernetes-schemas.ts), then held against the
 * project: the gateway's variables (deploy/variables.ts, the list compose:check reads too), an
 * environment src/config.ts loads in production, probes, shutdown timing, hardening, and the objects
 * that must point at each other (Service, PodDisruptionBudget, autoscaler, NetworkPolicy, monitor).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { type Config, loadConfig } from '../src/config.js';
import { GATEWAY_PORT, gatewayCommand } from './commands.js';
import { isRecord, schemaProblems } from './kubernetes-schemas.js';
import type { GatewayVariables } from './variables.js';

export const KUBERNETES_DIR = fileURLToPath(new URL('kubernetes/', import.meta.url));

/** One parsed manifest and the file it came from. */
export interface Manifest {
  readonly file: string;
  readonly doc: Record<string, unknown>;
}

/** The kustomization and the manifests it lists. */
export interface KubernetesFiles {
  readonly kustomization: Record<string, unknown>;
  /** Every *.yaml of the folder but the kustomization, listed or not. */
  readonly yamlFiles: readonly string[];
  readonly manifests: readonly Manifest[];
}

/** Reads deploy/kubernetes (or another folder laid out the same). */
export function readKubernetesFiles(dir = KUBERNETES_DIR): KubernetesFiles {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  const yamlFiles = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
  const listed = Array.isArray(kustomization.resources) ? kustomization.resources.map(String) : [];
  const manifests = listed
    .filter((file) => yamlFiles.includes(file))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(resolve(dir, file), 'utf8')).map((doc) => ({
        file,
        doc: doc.toJS() as Record<string, unknown>,
      })),
    );
  return { kustomization, yamlFiles, manifests };
}

// Manifests are read as loosely typed YAML (any: a shape checked field by field, after the schemas).
// biome-ignore lint/suspicious/noExplicitAny: YAML of any shape
type Loose = Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: YAML of any shape
const get = (value: unknown, ...path: (string | number)[]): any => {
  let at: unknown = value;
  for (const key of path) at = at === null || typeof at !== 'object' ? undefined : (at as Loose)[key];
  return at;
};
const matches = (selector: unknown, labels: unknown) =>
  isRecord(selector) &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => get(labels, k) === v);

/** Values that stand in for the Secret's required keys when the environment is loaded. */
const SECRET_SAMPLES: Readonly<Record<string, string>> = {
  DATABASE_URL: 'postgres://switchyard:k8s-check@postgres:5432/switchyard',
  REDIS_URL: 'redis://:k8s-check@redis:6379',
  KEYS_ENCRYPTION_KEYS: `v1:${Buffer.alloc(32, 1).toString('base64')}`,
  METRICS_TOKEN: 'k8s-check-metrics-token',
};

/** Every problem, one sentence each naming the file; empty when all holds. */
export function checkKubernetes(files: KubernetesFiles, variables: GatewayVariables): string[] {
  const problems: string[] = [];
  const add = (where: string, what: string) => problems.push(`deploy/kubernetes/${where}: ${what}`);
  const listed = get(files.kustomization, 'resources');
  for (const file of files.yamlFiles)
    if (!listed?.includes(file)) add('kustomization.yaml', `resources must list ${file}`);
  for (const file of listed ?? [])
    if (!files.yamlFiles.includes(file)) add('kustomization.yaml', `lists ${file}, which does not exist`);
  for (const { file, doc } of files.manifests) for (const p of schemaProblems(doc)) add(file, p);

  const find = (kind: string) => files.manifests.filter((m) => m.doc.kind === kind);
  const one = (kind: string): (Manifest & { doc: Loose }) | undefined => {
    const found = find(kind);
    if (found.length !== 1) add('kustomization.yaml', `needs exactly one ${kind} (found ${found.length})`);
    return found[0];
  };
  const deployment = one('Deployment');
  const configMap = one('ConfigMap');
  for (const kind of ['PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'ServiceMonitor'])
    one(kind);
  if (!deployment) return problems;
  const where = deployment.file;
  const pod = get(deployment.doc, 'spec', 'template');
  const podLabels = get(pod, 'metadata', 'labels');
  if (!matches(get(deployment.doc, 'spec', 'selector', 'matchLabels'), podLabels))
    add(where, 'spec.selector.matchLabels must select the pod template labels');
  const containers: Loose[] = get(pod, 'spec', 'containers') ?? [];
  const gateway = containers[0];
  if (containers.length !== 1 || !gateway)
    return [...problems, `deploy/kubernetes/${where}: needs one container`];
  if (gateway.command !== undefined || (gateway.args !== undefined && JSON.stringify(gateway.args) !== '[]'))
    add(
      where,
      `the gateway runs the image's CMD (${gatewayCommand('compiled').join(' ')}): no command or args`,
    );

  // The environment: the ConfigMap through envFrom, then env; secrets only by secretKeyRef.
  const configMapName = get(configMap?.doc, 'metadata', 'name');
  const fromConfigMap = (gateway.envFrom ?? []).some(
    (e: Loose) => get(e, 'configMapRef', 'name') === configMapName,
  );
  if (configMap && !fromConfigMap) add(where, `envFrom must take the ConfigMap ${configMapName}`);
  const data: Record<string, string> = fromConfigMap ? (get(configMap?.doc, 'data') ?? {}) : {};
  const env = new Map<string, Loose>((gateway.env ?? []).map((e: Loose) => [e.name, e]));
  for (const name of Object.keys(data))
    if (!variables.all.includes(name))
      add(configMap!.file, `sets ${name}, which src/config.ts does not read`);
  for (const name of env.keys())
    if (!variables.all.includes(name)) add(where, `sets ${name}, which src/config.ts does not read`);
  const resolved: Record<string, string> = { ...data };
  for (const name of variables.secret) {
    const ref = get(env.get(name), 'valueFrom', 'secretKeyRef');
    if (name in data)
      add(configMap!.file, `${name} holds credentials: take it from a Secret, not the ConfigMap`);
    if (!ref || get(env.get(name), 'value') !== undefined) {
      add(
        where,
        `${name} must come from a Secret (valueFrom.secretKeyRef${variables.requiredInProduction.includes(name) ? '' : ', optional: true if you like'})`,
      );
      continue;
    }
    if (ref.optional === true) {
      if (variables.requiredInProduction.includes(name))
        add(where, `${name} is required in production: its secretKeyRef must not be optional`);
      continue;
    }
    const sample = SECRET_SAMPLES[name];
    if (sample === undefined)
      add(where, `${name}: no sample value in deploy/kubernetes-check.ts SECRET_SAMPLES`);
    else resolved[name] = sample;
  }
  for (const [name, entry] of env) if (typeof entry.value === 'string') resolved[name] = entry.value;
  for (const name of variables.requiredInProduction)
    if (!(name in resolved))
      add(where, `${name} is required in production but the Deployment does not set it`);
  if (resolved.NODE_ENV !== 'production') add(where, 'NODE_ENV must be production');
  let config: Config | undefined;
  try {
    config = loadConfig(resolved, false);
  } catch (err) {
    add(where, `its environment does not load: ${(err as Error).message.replace(/\n\s*/g, ' ')}`);
  }
  if (!config) return problems;

  // Ports, probes, shutdown timing.
  const ports: Loose[] = gateway.ports ?? [];
  const portNamed = (name: unknown) => ports.find((p) => p.name === name || p.containerPort === name);
  const http = ports.find((p) => p.containerPort === config.port);
  if (config.port !== GATEWAY_PORT || !http)
    add(where, `must expose PORT ${GATEWAY_PORT} as a container port`);
  const metrics = ports.find((p) => p.containerPort === config.metricsPort);
  if (config.metricsPort === undefined || !metrics)
    add(where, 'must set METRICS_PORT and expose it as a container port');
  const probe = (name: string, path: string) => {
    const action = get(gateway, name, 'httpGet');
    if (action?.path !== path || portNamed(action?.port) !== http)
      add(where, `${name} must GET ${path} on PORT`);
  };
  probe('livenessProbe', '/healthz');
  probe('readinessProbe', '/readyz');
  const preStop = get(gateway, 'lifecycle', 'preStop', 'sleep', 'seconds');
  if (preStop === undefined || preStop * 1000 !== config.shutdownDelayMs)
    add(where, `lifecycle.preStop.sleep.seconds must match SHUTDOWN_DELAY (${config.shutdownDelayMs} ms)`);
  const grace = get(pod, 'spec', 'terminationGracePeriodSeconds') ?? 30;
  if (grace * 1000 <= config.shutdownDelayMs + config.shutdownTimeoutMs)
    add(
      where,
      `terminationGracePeriodSeconds (${grace}) must exceed SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT (${(config.shutdownDelayMs + config.shutdownTimeoutMs) / 1000} s)`,
    );

  // Hardening and resources.
  const podSecurity = get(pod, 'spec', 'securityContext') ?? {};
  const security = gateway.securityContext ?? {};
  const either = (key: string) => security[key] ?? podSecurity[key];
  if (either('runAsNonRoot') !== true || either('runAsUser') === 0)
    add(where, 'must run as non-root (runAsNonRoot: true)');
  if (security.readOnlyRootFilesystem !== true) add(where, 'needs readOnlyRootFilesystem: true');
  if (security.allowPrivilegeEscalation !== false) add(where, 'needs allowPrivilegeEscalation: false');
  if (security.privileged === true) add(where, 'must not be privileged');
  if (!get(security, 'capabilities', 'drop')?.includes('ALL')) add(where, 'must drop ALL capabilities');
  if (get(security, 'capabilities', 'add')?.length) add(where, 'must add no capabilities');
  if (get(either('seccompProfile'), 'type') !== 'RuntimeDefault')
    add(where, 'needs seccompProfile RuntimeDefault');
  if (get(pod, 'spec', 'automountServiceAccountToken') !== false)
    add(where, 'automountServiceAccountToken must be false (the gateway never calls the API server)');
  for (const key of ['requests.cpu', 'requests.memory', 'limits.memory'])
    if (get(gateway.resources, ...key.split('.')) === undefined) add(where, `needs resources.${key}`);
  const volumes = new Map<string, Loose>((get(pod, 'spec', 'volumes') ?? []).map((v: Loose) => [v.name, v]));
  for (const mount of gateway.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) add(where, `volumeMount ${mount.name} has no volume`);
    else if (!volume.emptyDir && mount.readOnly !== true)
      add(where, `volumeMount ${mount.name} is writable but not an emptyDir`);
  }

  checkNeighbours(files, { deployment, podLabels, http, metrics, config }, add);
  return problems;
}

/** The objects around the Deployment: each must select its pods and reach the right ports. */
function checkNeighbours(
  files: KubernetesFiles,
  at: {
    deployment: Manifest;
    podLabels: unknown;
    http: Loose | undefined;
    metrics: Loose | undefined;
    config: Config;
  },
  add: (where: string, what: string) => void,
) {
  const { deployment, podLabels, http, metrics, config } = at;
  const of = (kind: string) => files.manifests.filter((m) => m.doc.kind === kind);
  const targets = (service: Manifest, port: Loose | undefined) =>
    port !== undefined &&
    (get(service.doc, 'spec', 'ports') ?? []).some(
      (p: Loose) => p.targetPort === port.name || p.targetPort === port.containerPort,
    );
  const services = of('Service');
  for (const service of services)
    if (!matches(get(service.doc, 'spec', 'selector'), podLabels))
      add(service.file, 'must select the gateway pods');
  if (!services.some((s) => targets(s, http))) add('kustomization.yaml', 'needs a Service in front of PORT');
  const metricsServices = services.filter((s) => targets(s, metrics));
  for (const pdb of of('PodDisruptionBudget')) {
    if (!matches(get(pdb.doc, 'spec', 'selector', 'matchLabels'), podLabels))
      add(pdb.file, 'must select the gateway pods');
  }
  for (const hpa of of('HorizontalPodAutoscaler')) {
    const target = get(hpa.doc, 'spec', 'scaleTargetRef');
    if (target?.kind !== 'Deployment' || target?.name !== get(deployment.doc, 'metadata', 'name'))
      add(hpa.file, 'scaleTargetRef must name the Deployment');
    if ((get(hpa.doc, 'spec', 'minReplicas') ?? 1) < 2) add(hpa.file, 'minReplicas must be at least 2');
  }
  if (get(deployment.doc, 'spec', 'replicas') !== undefined && of('HorizontalPodAutoscaler').length > 0)
    add(deployment.file, 'spec.replicas fights the autoscaler on every apply: leave it out');
  for (const policy of of('NetworkPolicy')) {
    const where = policy.file;
    if (!matches(get(policy.doc, 'spec', 'podSelector', 'matchLabels'), podLabels))
      add(where, 'must select the gateway pods');
    const types: string[] = get(policy.doc, 'spec', 'policyTypes') ?? [];
    if (!types.includes('Ingress') || !types.includes('Egress'))
      add(where, 'policyTypes must be Ingress and Egress');
    const allowed = (direction: 'ingress' | 'egress', port: number, protocol = 'TCP') =>
      (get(policy.doc, 'spec', direction) ?? []).some((rule: Loose) =>
        (rule.ports ?? []).some((p: Loose) => p.port === port && (p.protocol ?? 'TCP') === protocol),
      );
    for (const port of [config.port, config.metricsPort ?? config.port])
      if (!allowed('ingress', port)) add(where, `ingress must allow TCP ${port}`);
    const egress: [string, number, string?][] = [
      ['DNS', 53, 'UDP'],
      ['DNS', 53, 'TCP'],
      ['Redis (REDIS_URL)', 6379],
      ['PostgreSQL (DATABASE_URL)', 5432],
    ];
    if (config.upstreams.mode === 'remote')
      for (const [name, target] of Object.entries(config.upstreams.targets))
        egress.push([
          `the ${name} upstream`,
          Number(new URL(target.includes('://') ? target : `grpc://${target}`).port),
        ]);
    if (config.tracing?.exporter === 'otlp')
      egress.push(['the OTLP collector', Number(new URL(config.tracing.endpoint).port || 80)]);
    for (const [what, port, protocol] of egress)
      if (!allowed('egress', port, protocol))
        add(where, `egress must allow ${protocol ?? 'TCP'} ${port} (${what})`);
  }
  for (const monitor of of('ServiceMonitor')) {
    const selected = metricsServices.filter((s) =>
      matches(get(monitor.doc, 'spec', 'selector', 'matchLabels'), get(s.doc, 'metadata', 'labels')),
    );
    if (selected.length === 0) add(monitor.file, 'must select a Service that targets METRICS_PORT');
    const endpoints: Loose[] = get(monitor.doc, 'spec', 'endpoints') ?? [];
    const servicePorts = selected
      .flatMap((s) => get(s.doc, 'spec', 'ports') ?? [])
      .filter((p: Loose) => p.targetPort === metrics?.name || p.targetPort === metrics?.containerPort);
    if (
      !endpoints.some(
        (e) => (e.path ?? '/metrics') === '/metrics' && servicePorts.some((p: Loose) => p.name === e.port),
      )
    )
      add(monitor.file, "an endpoint must scrape /metrics on the metrics Service's port");
  }
}
