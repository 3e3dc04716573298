/**
 * Builds the package: the typed operations (GraphQL Code Generator, from ../../schema, so what
 * ships always matches the schema and operations), `dist/` (ESM + .d.ts, tsc) and the browser
 * bundles (esbuild): `dist/browser/switchyard-client.min.js` (ESM) and
 * `switchyard-client.iife.min.js` (global `Switchyard`, for a plain <script>). Run by `prepare`
 * (npm install / npm ci) and `prepack`, so `npm pack` ships dist/. Builds into a directory of its
 * own and swaps it in at the end, so a reader of dist/ never sees half a build.
 */
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const out = join(root, `.dist-${process.pid}`);
const dist = join(root, 'dist');

const codegen = join(dirname(require.resolve('@graphql-codegen/cli/package.json')), 'cjs/bin.js');
execFileSync(process.execPath, [codegen, '--config', 'codegen.ts', '--silent'], {
  cwd: root,
  stdio: 'inherit',
});
try {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', out],
    { stdio: 'inherit' },
  );
  const { build } = await import(require.resolve('esbuild'));
  const common = {
    entryPoints: [join(root, 'src/index.ts')],
    bundle: true,
    minify: true,
    target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  };
  const bundles = [
    { format: 'esm', outfile: 'browser/switchyard-client.min.js' },
    { format: 'iife', globalName: 'Switchyard', outfile: 'browser/switchyard-client.iife.min.js' },
  ];
  for (const bundle of bundles) await build({ ...common, ...bundle, outfile: join(out, bundle.outfile) });
  for (const { outfile } of bundles)
    console.log(`dist/${outfile}: ${statSync(join(out, outfile)).size} bytes`);
  rmSync(dist, { recursive: true, force: true });
  renameSync(out, dist);
} finally {
  rmSync(out, { recursive: true, force: true });
}
