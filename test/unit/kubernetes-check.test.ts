import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkDockerfile, localDependencyFolders, testedNodeMajor } from '../../deploy/dockerfile-check.js';
import {
  checkKubernetes,
  KUBERNETES_DIR,
  type KubernetesFiles,
  readKubernetesFiles,
} from '../../deploy/kubernetes-check.js';
import { gatewayVariables } from '../../deploy/variables.js';
import { sources } from '../../sources/index.js';
import { ConfigError, loadConfig, productionRequiredVariables } from '../../src/config.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url);

/** `npm run k8s:check` on a folder: its exit code and output. */
async function k8sCheck(dir?: string): Promise<{ code: number; output: string }> {
  const args = ['--import', 'tsx', 'scripts/kubernetes-check.ts', ...(dir ? ['--dir', dir] : [])];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: ROOT });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
}

const files = readKubernetesFiles();
// biome-ignore lint/suspicious/noExplicitAny: manifests edited freely
type Doc = Record<string, any>;

/** The repository's manifests with one edit applied to a deep copy of one kind. */
function edited(kind: string, edit: (doc: Doc) => void): KubernetesFiles {
  const manifests = files.manifests.map((m) => {
    const doc = structuredClone(m.doc) as Doc;
    if (doc.kind === kind) edit(doc);
    return { ...m, doc };
  });
  return { ...files, manifests };
}
const gatewayOf = (doc: Doc) => doc.spec.template.spec.containers[0];

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('npm run k8s:check (deploy/kubernetes)', () => {
  it('passes on the repository manifests', { timeout: 120_000 }, async () => {
    const { code, output } = await k8sCheck();
    expect(output).toContain('validate against the Kubernetes schemas');
    expect(code).toBe(0);
  });

  it('fails on a Deployment with a string for an integer, an unknown field, a secret as a literal', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-check-'));
    temporary.push(dir);
    cpSync(KUBERNETES_DIR, dir, { recursive: true });
    const path = join(dir, 'deployment.yaml');
    const doc = parse(readFileSync(path, 'utf8')) as Doc;
    doc.spec.revisionHistoryLimit = '5';
    gatewayOf(doc).readinessProbee = gatewayOf(doc).readinessProbe;
    gatewayOf(doc).env = gatewayOf(doc).env.map((e: Doc) =>
      e.name === 'KEYS_ENCRYPTION_KEY' ? { name: e.name, value: 'literal' } : e,
    );
    writeFileSync(path, stringify(doc));

    const { code, output } = await k8sCheck(dir);
    expect(code).toBe(1);
    expect(output).toContain('spec/revisionHistoryLimit must be integer');
    expect(output).toContain('spec.template.spec.containers[0].readinessProbee: unknown field');
    expect(output).toContain('KEYS_ENCRYPTION_KEY must come from a Secret');
  });
});

describe('checkKubernetes', () => {
  it('agrees with the repository', () => {
    expect(checkKubernetes(files, gatewayVariables)).toEqual([]);
  });

  it('validates the ServiceMonitor against the prometheus-operator CRD schema', () => {
    const problems = checkKubernetes(
      edited('ServiceMonitor', (doc) => {
        doc.spec.endpoints[0].interval = 15;
        doc.spec.endpoints[0].scrapeTimeut = '10s';
      }),
      gatewayVariables,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/servicemonitor\.yaml: spec\/endpoints\/0\/interval must be string/),
        expect.stringMatching(/servicemonitor\.yaml: spec\.endpoints\[0\]\.scrapeTimeut: unknown field/),
      ]),
    );
  });

  it('fails when the Deployment misses a variable the list marks secret or required in production', () => {
    const variables = {
      all: [...gatewayVariables.all, 'NEW_SECRET', 'NEW_REQUIRED'],
      secret: [...gatewayVariables.secret, 'NEW_SECRET'],
      requiredInProduction: [...gatewayVariables.requiredInProduction, 'NEW_REQUIRED'],
    };
    expect(checkKubernetes(files, variables)).toEqual([
      expect.stringContaining('NEW_SECRET must come from a Secret'),
      expect.stringContaining('NEW_REQUIRED is required in production but the Deployment does not set it'),
    ]);
    const withoutDatabase = edited('Deployment', (doc) => {
      gatewayOf(doc).env = gatewayOf(doc).env.filter((e: Doc) => e.name !== 'DATABASE_URL');
    });
    expect(checkKubernetes(withoutDatabase, gatewayVariables)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('DATABASE_URL must come from a Secret'),
        expect.stringContaining('DATABASE_URL is required in production'),
      ]),
    );
  });

  it('refuses a variable src/config.ts does not read, and a secret in the ConfigMap', () => {
    const problems = checkKubernetes(
      edited('ConfigMap', (doc) => {
        doc.data.SHUTDOWN_DELAI = '5000';
        doc.data.METRICS_TOKEN = 'a-token-in-plain-sight';
      }),
      gatewayVariables,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('sets SHUTDOWN_DELAI, which src/config.ts does not read'),
        expect.stringContaining('METRICS_TOKEN holds credentials'),
      ]),
    );
  });

  it('holds preStop and the grace period to SHUTDOWN_DELAY and SHUTDOWN_TIMEOUT', () => {
    const problems = checkKubernetes(
      edited('ConfigMap', (doc) => {
        doc.data.SHUTDOWN_DELAY = '8000';
        doc.data.SHUTDOWN_TIMEOUT = '35000';
      }),
      gatewayVariables,
    );
    expect(problems).toEqual([
      expect.stringContaining('preStop.sleep.seconds must match SHUTDOWN_DELAY (8000 ms)'),
      expect.stringContaining(
        'terminationGracePeriodSeconds (40) must exceed SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT (43 s)',
      ),
    ]);
  });

  it('asks for hardening, probes and a NetworkPolicy that lets the upstreams out', () => {
    const problems = checkKubernetes(
      edited('Deployment', (doc) => {
        const gateway = gatewayOf(doc);
        gateway.securityContext.readOnlyRootFilesystem = false;
        gateway.securityContext.capabilities = { drop: ['NET_RAW'] };
        gateway.livenessProbe.httpGet.path = '/readyz';
      }),
      gatewayVariables,
    );
    expect(problems).toEqual([
      expect.stringContaining('livenessProbe must GET /healthz'),
      expect.stringContaining('readOnlyRootFilesystem'),
      expect.stringContaining('must drop ALL capabilities'),
    ]);
    const closed = edited('NetworkPolicy', (doc) => {
      for (const rule of doc.spec.egress) rule.ports = rule.ports.filter((p: Doc) => p.port !== 7003);
    });
    expect(checkKubernetes(closed, gatewayVariables)).toEqual([
      expect.stringContaining('egress must allow TCP 7003 (the portfolio upstream)'),
    ]);
  });
});

describe('productionRequiredVariables (src/config.ts)', () => {
  const samples: Record<string, string> = {
    DATABASE_URL: 'postgres://u:p@db:5432/s',
    KEYS_ENCRYPTION_KEYS: `v1:${Buffer.alloc(32, 7).toString('base64')}`,
    ...Object.fromEntries(
      sources.map((s) => [s.variable, s.transport === 'http' ? `http://${s.name}:1` : `${s.name}:1`]),
    ),
  };
  const minimal = () =>
    Object.fromEntries([
      ['NODE_ENV', 'production'],
      ...productionRequiredVariables.map((name) => [name, samples[name] ?? 'no sample']),
    ]);

  it('is enough for production to start: loadConfig needs nothing else', () => {
    expect(() => loadConfig(minimal(), false)).not.toThrow();
  });

  it('is all needed: production refuses to start without any one of them', () => {
    for (const name of productionRequiredVariables) {
      const env = minimal();
      delete env[name];
      expect(() => loadConfig(env, false)).toThrow(ConfigError);
      expect(() => loadConfig(env, false)).toThrow(name);
    }
  });
});

describe('Dockerfile on the Node CI tests on', () => {
  it('refuses a stage on another Node major than package.json devDependencies.node', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
    const exists = () => true;
    expect(testedNodeMajor()).toBe(24);
    expect(checkDockerfile(dockerfile, exists).filter((p) => p.includes('FROM'))).toEqual([]);
    const older = dockerfile.replace(
      /^FROM node:24-bookworm-slim AS deps/m,
      'FROM node:20-bookworm-slim AS deps',
    );
    expect(checkDockerfile(older, exists)).toEqual([
      'Dockerfile: FROM node:20-bookworm-slim: every stage must be on node:24 (the Node the tests run on in CI)',
    ]);
  });

  it("copies package.json's file: dependencies before each npm ci and into the runtime", () => {
    const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
    const exists = () => true;
    expect(localDependencyFolders()).toEqual(['vendor/whatwg-node-promise-helpers']);
    expect(checkDockerfile(dockerfile, exists)).toEqual([]);
    const stages = dockerfile.split(/^(?=FROM\s)/m);
    const withoutVendor = (stage: string) => stage.replace(/^COPY (--\S+ )*vendor vendor\n/m, '');
    const [, build, deps, runtime] = stages;
    expect(checkDockerfile([stages[0], build, withoutVendor(deps!), runtime].join(''), exists)).toEqual([
      'Dockerfile: stage deps: COPY vendor/whatwg-node-promise-helpers before npm ci (package.json installs it)',
    ]);
    expect(checkDockerfile([stages[0], build, deps, withoutVendor(runtime!)].join(''), exists)).toEqual([
      'Dockerfile: the runtime stage must COPY vendor/whatwg-node-promise-helpers: node_modules links to it',
    ]);
    // Copied after the install is too late.
    const late = build!
      .replace('COPY vendor vendor\n', '')
      .replace(/^(RUN npm run build)$/m, 'COPY vendor vendor\n$1');
    expect(checkDockerfile([stages[0], late, deps, runtime].join(''), exists)).toEqual([
      'Dockerfile: stage build: COPY vendor/whatwg-node-promise-helpers before npm ci (package.json installs it)',
    ]);
  });
});
