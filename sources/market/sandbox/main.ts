/**
 * Runs the market sandbox standalone: `tsx sources/market/sandbox/main.ts [--port 7001] [--host 127.0.0.1]`.
 * Prints one JSON line when ready and exits 0 after closing on SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { startMarketSandbox } from './server.js';

const USAGE = 'usage: main.ts [--port 7001] [--host 127.0.0.1]';

function readOptions(): { port: number; host: string } {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { port: { type: 'string', default: '7001' }, host: { type: 'string', default: '127.0.0.1' } },
    });
    const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : Number.NaN;
    if (!(port <= 65_535)) throw new Error(`--port must be an integer within 0..65535, got "${values.port}"`);
    return { port, host: values.host };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

const sandbox = await startMarketSandbox(readOptions());
process.stdout.write(
  `${JSON.stringify({ sandbox: sandbox.name, target: sandbox.target, adminUrl: sandbox.adminUrl })}\n`,
);

function stop(): void {
  // A second signal falls back to the default handler and kills the process.
  process.off('SIGTERM', stop).off('SIGINT', stop);
  sandbox.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`market sandbox: close failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
process.on('SIGTERM', stop).on('SIGINT', stop);
