/**
 * Static check of the Dockerfile (part of npm run compose:check): multi-stage, built with npm ci and
 * npm run build, production dependencies only in a non-root runtime with a /healthz healthcheck,
 * the gateway command of deploy/commands.ts, and every stage on the Node major CI tests on.
 */
import { readFileSync } from 'node:fs';
import { gatewayCommand } from './commands.js';

export const DOCKERFILE = 'Dockerfile';

interface RootPackage {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
let rootPackage: RootPackage | undefined;
/** The root package.json, read once: the Node major and the `file:` dependencies below come from it. */
const packageJson = (): RootPackage =>
  (rootPackage ??= JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as RootPackage);

/**
 * The Node major CI runs the tests on: package.json's `node` devDependency (the registry's Node
 * binary, first on PATH in .ci/run). The image must run what was tested.
 */
export function testedNodeMajor(): number {
  const major = /^\D*(\d+)/.exec(packageJson().devDependencies?.node ?? '')?.[1];
  if (major === undefined)
    throw new Error('package.json: devDependencies.node (the Node CI tests on) is missing');
  return Number(major);
}

/**
 * The folders of package.json's `file:` dependencies (vendor/…): npm ci links them into
 * node_modules, so every stage that installs needs them first, and the runtime beside node_modules.
 */
export function localDependencyFolders(): string[] {
  return Object.values(packageJson().dependencies ?? {})
    .filter((spec) => spec.startsWith('file:'))
    .map((spec) => spec.slice('file:'.length).replace(/^\.\//, ''));
}

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
export function checkDockerfile(
  dockerfile: string,
  exists: (path: string) => boolean,
  nodeMajor = testedNodeMajor(),
  localFolders = localDependencyFolders(),
): string[] {
  const problems: string[] = [];
  const add = (what: string) => problems.push(`${DOCKERFILE}: ${what}`);
  const text = dockerfile.replace(/\\\n/g, ' ');
  for (const [, image] of text.matchAll(/^FROM\s+(\S+)/gm)) {
    if (!new RegExp(`^node:${nodeMajor}(?:[.-]|$)`).test(image!))
      add(`FROM ${image}: every stage must be on node:${nodeMajor} (the Node the tests run on in CI)`);
  }
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
  const copiedSources = (part: string) =>
    [...part.matchAll(/^COPY\s+(?!.*--from)(?:--\S+\s+)*(.+)$/gm)].flatMap((m) =>
      m[1]!
        .trim()
        .split(/\s+/)
        .slice(0, -1)
        .map((source) => source.replace(/\/$/, '')),
    );
  for (const [index, stage] of stages.entries()) {
    const name = dockerStages(stage)[0];
    const install = /^RUN\s.*\bnpm ci\b/m.exec(stage);
    const before = copiedSources(install ? stage.slice(0, install.index) : stage);
    for (const folder of localFolders) {
      const covered = before.some((source) => folder === source || folder.startsWith(`${source}/`));
      if (install && !covered) add(`stage ${name}: COPY ${folder} before npm ci (package.json installs it)`);
      if (index === stages.length - 1 && !covered)
        add(`the runtime stage must COPY ${folder}: node_modules links to it`);
    }
  }
  for (const source of copiedSources(text)) {
    if (!exists(source)) add(`COPY ${source}: no such file in the repository`);
  }
  return problems;
}
