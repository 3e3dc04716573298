/**
 * @switchyard/client as a user gets it: `npm pack` of packages/client (its prepack builds dist/),
 * installed offline from the tarball alone into a fresh temporary project (so nothing of the
 * gateway can come along), then a plain Node script in that project places a signed order against
 * a demo gateway, and a TypeScript file there type-checks against the shipped .d.ts. Logs the
 * installed size (packages, bytes).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Bytes under a directory (files only, symlinks not followed). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Installed packages: every directory with a package.json directly under node_modules (scopes expanded). */
function packagesUnder(nodeModules: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (entry.name.startsWith('@')) {
      for (const scoped of readdirSync(join(nodeModules, entry.name))) names.push(`${entry.name}/${scoped}`);
    } else names.push(entry.name);
  }
  return names;
}

const PLACE_SCRIPT = `
import { createSwitchyardClient, ed25519SigningKey, WebPortfolioDocument } from '@switchyard/client';
const { URL, API_KEY, KEY_ID, PKCS8, CLIENT_ORDER_ID } = process.env;
const client = createSwitchyardClient({ url: URL, apiKey: API_KEY, signingKey: ed25519SigningKey(KEY_ID, PKCS8) });
const portfolio = await client.request(WebPortfolioDocument, { accountId: 'acc-1' });
const placed = await client.placeOrder({
  accountId: 'acc-1', tokenId: 'bitcoin', side: 'BUY', type: 'LIMIT', quantity: '0.01', limitPrice: '60000',
  clientOrderId: CLIENT_ORDER_ID,
});
console.log(JSON.stringify({ positions: portfolio.data?.portfolio.positions.length, placed }));
`;

const TYPED_CHECK = `
import { createSwitchyardClient, hmacSigningKey, type SigningKey, WebPlaceOrderDocument } from '@switchyard/client';
const key: SigningKey = hmacSigningKey('kid', 'c2VjcmV0');
const client = createSwitchyardClient({ url: 'http://localhost:4000/graphql', apiKey: 'sy_test_x', signingKey: key });
export async function place(): Promise<string | undefined> {
  const result = await client.request(WebPlaceOrderDocument, {
    input: { accountId: 'acc-1', tokenId: 'bitcoin', side: 'BUY', type: 'MARKET', quantity: '1', clientOrderId: 'c-1' },
  });
  const status: 'OPEN' | 'FILLED' | 'CANCELLED' | undefined = result.data?.placeOrder.status;
  void status;
  return result.data?.placeOrder.id;
}
`;

describe('@switchyard/client packed and installed in a fresh project', () => {
  let gateway: TestGateway;
  let work: string;
  let project: string;
  let tarball: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'switchyard-sdk-pack-'));
    // prepack builds dist/ (tsc + esbuild) before packing.
    await run(NPM, ['pack', '-w', 'packages/client', '--pack-destination', work, '--silent'], { cwd: ROOT });
    const packed = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!packed) throw new Error('npm pack produced no tarball');
    tarball = join(work, packed);
    project = join(work, 'app');
    await run('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'sdk-user', private: true, type: 'module' }),
    );
    // --offline: the tarball is the only source; a dependency on anything would fail here.
    await run(NPM, ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: project,
    });
    gateway = await startTestGateway();
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships dist/ (ESM, .d.ts, browser bundles) and installs as one package with no dependencies', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/dist/index.js',
        'package/dist/index.d.ts',
        'package/dist/browser/switchyard-client.min.js',
        'package/package.json',
      ]),
    );
    expect(files.filter((f) => !f.startsWith('package/dist/') && f !== 'package/package.json')).toEqual([
      'package/README.md',
    ]);
    const nodeModules = join(project, 'node_modules');
    const installed = packagesUnder(nodeModules);
    expect(installed).toEqual(['@switchyard/client']);
    const manifest = JSON.parse(readFileSync(join(nodeModules, '@switchyard/client/package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    const bytes = bytesUnder(nodeModules);
    const bundle = statSync(
      join(nodeModules, '@switchyard/client/dist/browser/switchyard-client.min.js'),
    ).size;
    console.log(
      `@switchyard/client installed: ${installed.length} package(s), ${bytes} bytes on disk (tarball ${statSync(tarball).size} bytes); browser bundle ${bundle} bytes`,
    );
    expect(bytes).toBeLessThan(500_000);
  });

  it('places a signed order against the demo gateway from a plain Node script', {
    timeout: 60_000,
  }, async () => {
    const pair = generateKeyPairSync('ed25519');
    const { key, record } = await gateway.running.keys.create(
      {
        clientId: 'user-1',
        name: 'packed-sdk',
        scopes: ['portfolio:read', 'trade:write'],
        allowedCidrs: ['127.0.0.0/8', '::1/128'],
        signing: {
          type: 'ed25519',
          publicKey: pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        },
      },
      'test',
    );
    writeFileSync(join(project, 'place.mjs'), PLACE_SCRIPT);
    const clientOrderId = `packed-${randomUUID().slice(0, 8)}`;
    const { stdout } = await run(process.execPath, ['place.mjs'], {
      cwd: project,
      env: {
        PATH: process.env.PATH ?? '',
        URL: gateway.url,
        API_KEY: key,
        KEY_ID: record.keyId,
        PKCS8: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        CLIENT_ORDER_ID: clientOrderId,
      },
    });
    const out = JSON.parse(stdout);
    expect(out.positions).toBe(50);
    expect(out.placed.errors).toBeUndefined();
    expect(out.placed.data.placeOrder).toMatchObject({
      clientOrderId,
      status: 'OPEN',
      token: { id: 'bitcoin' },
    });
    expect(gateway.trading.orders().filter((o) => o.clientOrderId === clientOrderId)).toHaveLength(1);
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    writeFileSync(join(project, 'check.ts'), TYPED_CHECK);
    writeFileSync(
      join(project, 'bad.ts'),
      `${TYPED_CHECK}\nexport const wrong: number = (await place()) ?? 0;\n`,
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const flags = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
    ];
    const libs = ['--lib', 'es2022,dom'];
    // Both at once (tsc is slow); bad.ts shows the generated types are real: a wrong use fails.
    const [good, bad] = await Promise.allSettled(
      ['check.ts', 'bad.ts'].map((file) =>
        run(process.execPath, [tsc, ...flags, ...libs, file], { cwd: project }),
      ),
    );
    expect(good).toMatchObject({ status: 'fulfilled' });
    expect(bad).toMatchObject({
      status: 'rejected',
      reason: { stdout: expect.stringContaining("Type 'string' is not assignable to type 'number'") },
    });
  }, 120_000);
});
