/**
 * The standalone runner every sandbox's `sandbox/main.ts` uses: parses `--port`, `--host` (and
 * `--admin-port` for gRPC sandboxes), prints ONE JSON line when ready
 * (`{"sandbox","target","adminUrl"}`), and exits 0 after closing on SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import type { RunningSandbox, SandboxOptions } from './types.js';

export async function runSandboxMain(
  name: string,
  start: (options: SandboxOptions) => Promise<RunningSandbox>,
  defaults: { port: number; adminPort?: number },
): Promise<void> {
  let options: SandboxOptions;
  try {
    const { values } = parseArgs({
      options: {
        port: { type: 'string', default: String(defaults.port) },
        host: { type: 'string', default: '127.0.0.1' },
        ...(defaults.adminPort === undefined
          ? {}
          : { 'admin-port': { type: 'string' as const, default: String(defaults.adminPort) } }),
      },
    });
    options = { port: portArg('--port', String(values.port)), host: String(values.host) };
    const adminPort = (values as Record<string, unknown>)['admin-port'];
    if (typeof adminPort === 'string') options.adminPort = portArg('--admin-port', adminPort);
  } catch (err) {
    const admin = defaults.adminPort === undefined ? '' : ` [--admin-port ${defaults.adminPort}]`;
    process.stderr.write(
      `${(err as Error).message}\nusage: main.ts [--port ${defaults.port}]${admin} [--host 127.0.0.1]\n`,
    );
    process.exit(2);
  }
  const sandbox = await start(options);
  const stop = () => {
    // A second signal falls back to the default handler and kills the process.
    process.off('SIGTERM', stop).off('SIGINT', stop);
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${name} sandbox: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  // Handlers before the ready line: whoever reads it may stop the process at once.
  process.on('SIGTERM', stop).on('SIGINT', stop);
  process.stdout.write(
    `${JSON.stringify({ sandbox: name, target: sandbox.target, adminUrl: sandbox.adminUrl })}\n`,
  );
}

function portArg(flag: string, value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port <= 65_535)) throw new Error(`${flag} must be a port number 0-65535, got "${value}"`);
  return port;
}
