/**
 * Runs the argv of deploy/commands.ts as child processes: used by `npm run sandboxes` and the e2e
 * test, so both start exactly what docker-compose.yml starts. Output is kept (last lines) for
 * failure messages, and every child is stopped with SIGTERM, then SIGKILL after a deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Commands are relative to the repository root (this file is deploy/launch.ts). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A started process. */
export interface Launched {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines it printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Calls `listener` with every later line of its stdout. */
  onStdoutLine(listener: (line: string) => void): () => void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface LaunchOptions {
  /** The child's variables, over `baseEnv`. */
  readonly env?: Record<string, string>;
  /** What `env` is added to. @default process.env (pass a minimal one to run as a container would) */
  readonly baseEnv?: NodeJS.ProcessEnv;
  /** Echo the child's output to this process's stderr, prefixed with its name. */
  readonly echo?: boolean;
}

const KEPT_LINES = 60;

/** Spawns `argv` (argv[0] `node` runs this same Node) from the repository root. */
export function launch(
  name: string,
  argv: readonly string[],
  { env = {}, baseEnv = process.env, echo = false }: LaunchOptions = {},
): Launched {
  const [command, ...args] = argv;
  if (!command) throw new Error(`${name}: empty command`);
  const child = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: REPO_ROOT,
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stdoutListeners = new Set<(line: string) => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      if (echo) process.stderr.write(`[${name}] ${line}\n`);
      if (stream === child.stdout) for (const listener of stdoutListeners) listener(line);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    output: () => lines.join('\n'),
    onStdoutLine(listener) {
      stdoutListeners.add(listener);
      return () => stdoutListeners.delete(listener);
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with the first JSON line the process prints (the sandboxes' ready line); call right after launch. */
export function readyLine(launched: Launched, timeoutMs = 30_000): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const { child, name } = launched;
    const done = () => {
      clearTimeout(timer);
      child.off('exit', onExit);
      unsubscribe();
    };
    const fail = (why: string) => {
      done();
      reject(new Error(`${name} ${why}:\n${launched.output()}`));
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited (${code ?? signal}) before it was ready`);
    const timer = setTimeout(() => fail(`printed no ready line within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', onExit);
    const unsubscribe = launched.onStdoutLine((line) => {
      if (!line.startsWith('{')) return;
      done();
      resolve(JSON.parse(line) as Record<string, string>);
    });
  });
}

/** Resolves once GET url answers 2xx; rejects with the process's output when it exits or times out. */
export async function httpReady(launched: Launched, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (launched.child.exitCode !== null) {
      throw new Error(
        `${launched.name} exited (${launched.child.exitCode}) before ${url} answered:\n${launched.output()}`,
      );
    }
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${launched.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
