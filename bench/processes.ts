/** Starting and measuring the benchmark's separate processes (sandboxes, gateway, floor). */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { sources } from '../sources/index.js';

/** A free TCP port on 127.0.0.1 (released before use; fine on a quiet machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node --import tsx <script>` (a `.js` script: plain `node <script>`, compiled) and resolves
 * with the first JSON line it prints.
 */
export function spawnWithReadyLine(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeFlags: string[] = [],
): Promise<{ child: ChildProcess; ready: Record<string, string> }> {
  const loader = script.endsWith('.js') ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...nodeFlags, ...loader, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`${script} did not become ready`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout!.resume();
      resolve({ child, ready: JSON.parse(line) as Record<string, string> });
    });
  });
}

/** Waits until GET url answers 200. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU time of a process so far, in ms (Linux /proc). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Peak resident set size of a process so far, in MB. */
export function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/** The median of some runs' figures. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Stops a child and waits for it. */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** One sandbox process of the list of sources: its upstream target and admin routes. */
export interface SandboxProcess {
  readonly target: string;
  readonly adminUrl: string;
}

/**
 * Starts every source's sandbox (sources/index.ts) as its own process on free ports, pushing each
 * child to `children` for cleanup; the gateway variables that point at them come with it.
 */
export async function startSandboxProcesses(
  children: ChildProcess[],
): Promise<{ sandboxes: Record<string, SandboxProcess>; env: Record<string, string> }> {
  const sandboxes: Record<string, SandboxProcess> = {};
  const env: Record<string, string> = {};
  for (const entry of sources) {
    const { child, ready } = await spawnWithReadyLine(entry.sandboxScript, [
      ...['--port', String(await freePort())],
      ...(entry.defaultAdminPort === undefined ? [] : ['--admin-port', String(await freePort())]),
    ]);
    children.push(child);
    sandboxes[entry.name] = { target: ready.target!, adminUrl: ready.adminUrl! };
    env[entry.variable] = ready.target!;
  }
  return { sandboxes, env };
}
