/** The operator CLIs (src/cli/<script>.ts) run as separate processes, as an operator runs them. */
import { execFile } from 'node:child_process';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `src/cli/<script>.ts` with `args` and exactly `env`; never throws (a failure is its exit code). */
export function runCli(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  { timeoutMs }: { timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `src/cli/${script}.ts`, ...args],
      { env, ...(timeoutMs ? { timeout: timeoutMs } : {}) },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
