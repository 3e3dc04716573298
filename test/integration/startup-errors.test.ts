/**
 * The gateway process as an operator starts it: a port that is taken is one line naming the
 * variable to change and exit 1 (not a stack trace), and `npm start` passes SIGTERM to the gateway
 * (the script execs node: no npm or tsx parent left holding the signal).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/** Runs the gateway (demo mode) to its exit, or kills it after `timeoutMs`. */
async function runGateway(env: Record<string, string>, timeoutMs = 30_000): Promise<Exit> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stderr, ms: performance.now() - started };
}

describe('a port in use at start', () => {
  let taken: Server;
  let port = 0;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
  });

  it('is one line naming PORT and HOST, and exit 1', async () => {
    const exit = await runGateway({ PORT: String(port) });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toBe(
      `switchyard: cannot listen on PORT=${port} (HOST=127.0.0.1): the address is already in use (EADDRINUSE); stop what listens there or set PORT to another port\n`,
    );
  });

  it('is one line naming METRICS_PORT for the metrics listener, and exit 1', async () => {
    const exit = await runGateway({ PORT: '0', METRICS_PORT: String(port) });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toBe(
      `switchyard: cannot listen on METRICS_PORT=${port} (HOST=127.0.0.1): the address is already in use (EADDRINUSE); stop what listens there or set METRICS_PORT to another port\n`,
    );
  });
});

describe('npm start', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('stops the gateway gracefully on SIGTERM sent to the npm process', async () => {
    child = spawn('npm', ['start', '--silent'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_PRETTY: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const lines: string[] = [];
    const origin = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not started:\n${lines.join('\n')}`)), 30_000);
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        lines.push(line);
        if (!line.startsWith('{')) return;
        const entry = JSON.parse(line) as { url?: string; msg?: string };
        if (entry.url && entry.msg?.startsWith('Switchyard')) {
          clearTimeout(timer);
          resolve(new URL(entry.url).origin);
        }
      });
    });
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(lines.some((line) => line.includes('"reason":"SIGTERM"'))).toBe(true);
    // The gateway itself is gone, not only npm: nothing answers on its port.
    await expect(fetch(`${origin}/healthz`)).rejects.toThrow();
  }, 60_000);
});
