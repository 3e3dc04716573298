/**
 * Static check of the Dockerfile (part of npm run compose:check): multi-stage, built with npm ci and
 * npm run build, production dependencies only in a non-root runtime with a /healthz healthcheck,
 * and the gateway command of deploy/commands.ts.
 */
import { gatewayCommand } from './commands.js';

export const DOCKERFILE = 'Dockerfile';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Stage names in order (`FROM image AS name`). */
export function dockerStages(dockerfile: string): string[] {
  return [...dockerfile.matchAll(/^FROM\s+\S+(?:\s+AS\s+(\S+))?/gim)].map((m, i) => m[1] ?? String(i));
}

/** The last CMD, exec form. */
export function dockerCmd(dockerfile: string): unknown {
  const cmd = [...dockerfile.matchAll(/^CMD\s+(.+)$/gm)].at(-1)?.[1];
  try {
    return cmd ? JSON.parse(cmd) : undefined;
  } catch {
    return cmd;
  }
}

/** Every problem of the Dockerfile; `exists` tells whether a repository path exists (COPY sources). */
export function checkDockerfile(dockerfile: string, exists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  const add = (what: string) => problems.push(`${DOCKERFILE}: ${what}`);
  const text = dockerfile.replace(/\\\n/g, ' ');
  const stages = text.split(/^(?=FROM\s)/m).filter((part) => part.startsWith('FROM'));
  if (stages.length < 2) add('must be multi-stage (build, then a slim runtime)');
  const final = stages.at(-1) ?? '';
  const earlier = stages.slice(0, -1).join('\n');
  if (!/^RUN\s.*\bnpm ci\b/m.test(earlier) || !/^RUN\s.*\bnpm run build\b/m.test(earlier)) {
    add('a build stage must RUN npm ci and npm run build');
  }
  if (!/^RUN\s.*\bnpm ci\b[^\n]*--omit=dev/m.test(earlier))
    add('runtime dependencies must be installed with npm ci --omit=dev');
  if (/^RUN\s.*\bnpm (ci|install)\b/m.test(final))
    add('the runtime stage must not install packages (copy them from a stage)');
  const user = [...final.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1];
  if (!user || user === 'root' || user === '0' || user.startsWith('0:'))
    add('the runtime stage must run as a non-root USER');
  if (!/^HEALTHCHECK\s.*\/healthz/m.test(final)) add('the runtime stage needs a HEALTHCHECK on /healthz');
  if (!same(dockerCmd(final), gatewayCommand('compiled'))) {
    add(`CMD must be ${JSON.stringify(gatewayCommand('compiled'))} (deploy/commands.ts)`);
  }
  for (const match of text.matchAll(/^COPY\s+(?!.*--from)(?:--\S+\s+)*(.+)$/gm)) {
    const sources = match[1]!.trim().split(/\s+/).slice(0, -1);
    for (const source of sources) if (!exists(source)) add(`COPY ${source}: no such file in the repository`);
  }
  return problems;
}
