/**
 * `npm run sandboxes [-- --host 127.0.0.1 --market-port 7001 --signals-port 7002 --portfolio-port 7003
 * --portfolio-admin-port 7013 --trading-port 7004 --trading-admin-port 7014]`: the sandbox
 * upstream of every source of sources/index.ts as its own process (the commands of deploy/commands.ts), in the foreground until
 * Ctrl+C. Prints the environment that points a gateway at them.
 */
import { parseArgs } from 'node:util';
import { sandboxCommand, sandboxProcesses, sandboxTarget } from '../deploy/commands.js';
import { type Launched, launch, readyLine } from '../deploy/launch.js';

const options: Record<string, { type: 'string'; default: string }> = {
  host: { type: 'string', default: '127.0.0.1' },
};
for (const sandbox of sandboxProcesses) {
  options[`${sandbox.name}-port`] = { type: 'string', default: String(sandbox.port) };
  if (sandbox.adminPort !== undefined) {
    options[`${sandbox.name}-admin-port`] = { type: 'string', default: String(sandbox.adminPort) };
  }
}
const { values } = parseArgs({ options });
const flag = (name: string): string => String((values as Record<string, unknown>)[name]);
const port = (name: string): number => {
  const value = Number(flag(name));
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`--${name} must be a port number 0-65535, got "${flag(name)}"`);
    process.exit(2);
  }
  return value;
};

const host = flag('host');
const started: Launched[] = [];
let stopping = false;
const stopAll = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await Promise.all(started.map((launched) => launched.stop()));
  process.exit(code);
};
process.on('SIGINT', () => void stopAll(0)).on('SIGTERM', () => void stopAll(0));

const ports: Record<string, { host: string; port: number }> = {};
try {
  for (const sandbox of sandboxProcesses) {
    const listen = {
      host,
      port: port(`${sandbox.name}-port`),
      ...(sandbox.adminPort === undefined ? {} : { adminPort: port(`${sandbox.name}-admin-port`) }),
    };
    const launched = launch(sandbox.name, sandboxCommand(sandbox, listen, 'source'), { echo: true });
    started.push(launched);
    const ready = await readyLine(launched);
    const [, boundPort] = /:(\d+)$/.exec(ready.target ?? '') ?? [];
    ports[sandbox.name] = { host: host === '0.0.0.0' ? '127.0.0.1' : host, port: Number(boundPort) };
    console.log(`${sandbox.name.padEnd(10)} ${String(ready.target).padEnd(24)} admin ${ready.adminUrl}`);
    launched.child.once('exit', (code) => {
      if (stopping) return;
      console.error(`${sandbox.name} exited (${code}): stopping the others\n${launched.output()}`);
      void stopAll(1);
    });
  }
} catch (err) {
  console.error((err as Error).message);
  await stopAll(1);
}

const upstreams = sandboxProcesses
  .map((sandbox) => {
    const { host: reachable, port: bound } = ports[sandbox.name]!;
    return `${sandbox.targetVariable}=${sandboxTarget(sandbox, reachable, bound)}`;
  })
  .join(' ');
console.log(
  `\nsandboxes ready. Run a gateway against them (add REDIS_URL=… for shared state):\n  ${upstreams} npm start\nCtrl+C stops them.`,
);
