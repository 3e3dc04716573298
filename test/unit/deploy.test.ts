import { describe, expect, it } from 'vitest';
import { compiledPath, gatewayCommand, sandboxCommand, sandboxProcesses } from '../../deploy/commands.js';
import {
  checkDeployment,
  type DeploymentFiles,
  interpolate,
  readDeploymentFiles,
  repositoryContext,
} from '../../deploy/compose-check.js';
import { configVariables } from '../../src/config.js';

const context = repositoryContext(configVariables);
const files = readDeploymentFiles();

type Services = Record<string, Record<string, unknown>>;

/** The repository's deployment files with one edit applied to a deep copy. */
function edited(
  edit: (services: Services, copy: { dockerfile: string; nginx: string }) => void,
): DeploymentFiles {
  const compose = structuredClone(files.compose) as { services: Services };
  const text = { dockerfile: files.dockerfile, nginx: files.nginx };
  edit(compose.services, text);
  return { compose, ...text };
}

const problemsOf = (changed: DeploymentFiles) => checkDeployment(changed, context);

describe('deployment files (docker-compose.yml, Dockerfile, deploy/nginx.conf)', () => {
  it('agree with deploy/commands.ts, src/config.ts and the repository', () => {
    expect(checkDeployment(files, context)).toEqual([]);
  });

  it('run the same commands as the e2e test, the build instead of the sources', () => {
    for (const sandbox of sandboxProcesses) {
      const listen = { host: 'h', port: 1, adminPort: 2 };
      const source = sandboxCommand(sandbox, listen, 'source');
      const compiled = sandboxCommand(sandbox, listen, 'compiled');
      expect(source).toEqual(['node', '--import', 'tsx', sandbox.script, ...compiled.slice(2)]);
      expect(compiled[1]).toBe(compiledPath(sandbox.script));
    }
    expect(gatewayCommand('source')).toEqual([
      'node',
      '--max-semi-space-size=64',
      '--import',
      'tsx',
      'src/main.ts',
    ]);
    expect(gatewayCommand('compiled')).toEqual(['node', '--max-semi-space-size=64', 'dist/src/main.js']);
  });

  it('refuse a gateway variable src/config.ts does not read', () => {
    const problems = problemsOf(
      edited((services) => {
        // The replicas share one YAML anchor, hence one object: edit a copy for one of them.
        const env = services['gateway-2']!.environment as Record<string, string>;
        services['gateway-2']!.environment = { ...env, UPSTREAM_TIMEOUT: '500' };
      }),
    );
    expect(problems).toContain(
      'docker-compose.yml gateway-2: sets UPSTREAM_TIMEOUT, which src/config.ts does not read',
    );
    expect(problems).toContain(
      'docker-compose.yml: the gateway replicas must share one environment (gateway-1, gateway-2)',
    );
  });

  it('refuse a gateway environment that does not load or points at the wrong sandbox port', () => {
    const problems = problemsOf(
      edited((services) => {
        const env = services['gateway-1']!.environment as Record<string, string>;
        env.PORTFOLIO_ADDR = 'http://portfolio:7003';
        env.MARKET_URL = 'http://market:7101';
      }),
    );
    expect(
      problems.some((p) =>
        p.startsWith(
          'docker-compose.yml gateway-1: its environment does not load: Invalid configuration: PORTFOLIO_ADDR: must be host:port',
        ),
      ),
    ).toBe(true);
    expect(problems).toContain(
      'docker-compose.yml gateway-1: MARKET_URL is "http://market:7101", deploy/commands.ts wires "http://market:7001"',
    );
  });

  it('refuse a secret written into the file', () => {
    const problems = problemsOf(
      edited((services) => {
        (services['gateway-1']!.environment as Record<string, string>).KEYS_ENCRYPTION_KEYS = 'v1:aGVsbG8=';
      }),
    );
    expect(problems.some((p) => p.includes('KEYS_ENCRYPTION_KEYS must come from the operator'))).toBe(true);
  });

  it('refuse a sandbox command that differs from deploy/commands.ts or runs a script that does not exist', () => {
    const problems = problemsOf(
      edited((services) => {
        services.signals!.command = [
          'node',
          'dist/sources/signal/sandbox/main.js',
          '--host',
          '0.0.0.0',
          '--port',
          '7002',
        ];
      }),
    );
    expect(
      problems.some((p) => p.startsWith('docker-compose.yml signals: command ["node","dist/sources/signal')),
    ).toBe(true);
    expect(problems).toContain(
      'docker-compose.yml signals: runs dist/sources/signal/sandbox/main.js, but sources/signal/sandbox/main.ts does not exist',
    );
  });

  it('refuse Redis without persistence, a missing service, and a load balancer that skips a replica', () => {
    const problems = problemsOf(
      edited((services, text) => {
        services.redis!.command = ['redis-server'];
        delete services.trading;
        text.nginx = text.nginx.replace(/^\s*server gateway-2:4000.*$/m, '');
      }),
    );
    expect(problems).toContain('docker-compose.yml redis: must persist (--appendonly yes)');
    expect(problems).toContain('docker-compose.yml: service trading is missing');
    expect(
      problems.some((p) => p.startsWith('deploy/nginx.conf: upstream servers gateway-1:4000 must be')),
    ).toBe(true);
  });

  it('refuse a load balancer that hides the authority the client signed', () => {
    const problems = problemsOf(
      edited((_services, text) => {
        text.nginx = text.nginx.replace('X-Forwarded-Host $http_host;', 'X-Forwarded-Host $host;');
      }),
    );
    expect(problems).toEqual([
      'deploy/nginx.conf: must set X-Forwarded-Host $http_host (the gateways run with TRUST_PROXY=1)',
    ]);
  });

  it('accept other services, but not an unaccounted one running the Switchyard image', () => {
    const problems = problemsOf(
      edited((services) => {
        services.prometheus = { image: 'prom/prometheus:v3.1.0' };
        services.worker = { ...services['gateway-1'], command: ['node', 'dist/src/worker.js'] };
      }),
    );
    expect(problems).toEqual([
      'docker-compose.yml: service worker runs the Switchyard image but is not part of deploy/commands.ts',
    ]);
  });

  it('refuse, once built, a command whose compiled file the build did not produce', () => {
    const built = { ...context, built: true, exists: (path: string) => !path.startsWith('dist/') };
    expect(checkDeployment(files, built)).toContain(
      'docker-compose.yml gateway-1: runs dist/src/main.js, which npm run build did not produce',
    );
  });

  it('refuse a Dockerfile that runs as root or starts something else than the gateway command', () => {
    const problems = problemsOf(
      edited((_services, text) => {
        text.dockerfile = text.dockerfile
          .replace(/^USER node$/m, '')
          .replace('dist/src/main.js', 'dist/main.js');
      }),
    );
    expect(problems).toContain('Dockerfile: the runtime stage must run as a non-root USER');
    expect(problems.some((p) => p.startsWith('Dockerfile: CMD must be'))).toBe(true);
  });

  it('interpolates compose variables as docker compose does', () => {
    // Compose syntax written with % for $, so no string here looks like a forgotten template literal.
    const compose = (text: string) => text.replaceAll('%', '$');
    expect(interpolate(compose('%{A:-x}/%{B-y}/%{C:?set C}/%%'), { C: 'c' })).toBe('x/y/c/$');
    expect(interpolate(compose('%{A:-x}'), { A: '' })).toBe('x');
    expect(interpolate(compose('%{A-x}'), { A: '' })).toBe('');
  });
});
