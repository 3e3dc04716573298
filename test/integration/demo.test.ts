import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { exampleQuery } from '../../src/gateway/example.js';
import { type RunningSwitchyard, startSwitchyard, writeDemoSigningKey } from '../../src/main.js';

describe('demo mode (no upstream configured)', () => {
  let running: RunningSwitchyard;
  beforeAll(async () => {
    running = await startSwitchyard(
      loadConfig({ PORT: '0', HOST: '127.0.0.1' }, false),
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await running.close();
  });

  it('starts every sandbox in-process', () => {
    expect(Object.keys(running.sandboxes ?? {}).sort()).toEqual([
      'exchange',
      'market',
      'portfolio',
      'signals',
      'trading',
    ]);
  });

  it('serves GraphiQL to a browser with the example query and the demo key preset', async () => {
    const response = await fetch(running.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('Switchyard');
    expect(html).toContain('acc-1');
    expect(html).toContain(running.demoKeys?.['user-1'] ?? 'no demo key');
  });

  it('answers the example query with 50 positions, prices and signals', async () => {
    const response = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': running.demoKeys?.['user-1'] ?? '' },
      body: JSON.stringify({ query: exampleQuery }),
    });
    const body = (await response.json()) as {
      errors?: unknown;
      data: { portfolio: { positions: { token: { price: { usd: string } } }[] }; token: { symbol: string } };
    };
    expect(body.errors).toBeUndefined();
    expect(body.data.portfolio.positions).toHaveLength(50);
    expect(body.data.portfolio.positions.every((p) => /^\d/.test(p.token.price.usd))).toBe(true);
    expect(body.data.token.symbol).toBe('BTC');
  });
});

describe("the demo signer's private key file (finding 12)", () => {
  const PEM = '-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n';
  const mode = (path: string) => statSync(path).mode & 0o777;

  it('gets a private directory per instance: two demos never share or overwrite a file', () => {
    const first = writeDemoSigningKey(PEM);
    const second = writeDemoSigningKey(`${PEM}second\n`);
    try {
      expect(dirname(first.path)).not.toBe(dirname(second.path));
      for (const file of [first, second]) {
        expect(dirname(dirname(file.path))).toBe(tmpdir());
        expect(dirname(file.path)).toMatch(/[/\\]switchyard-demo-[^/\\]+$/);
        expect(mode(dirname(file.path))).toBe(0o700);
        expect(mode(file.path)).toBe(0o600);
      }
      expect(readFileSync(first.path, 'utf8')).toBe(PEM);
      expect(readFileSync(second.path, 'utf8')).toBe(`${PEM}second\n`);
    } finally {
      first.remove();
      second.remove();
    }
    expect(existsSync(dirname(first.path))).toBe(false);
    expect(existsSync(dirname(second.path))).toBe(false);
  });

  it('is written by the demo process without following a planted symlink, and removed when it stops', async () => {
    // The child's temp folder (TMPDIR), with a symlink planted where the key used to go.
    const temp = mkdtempSync(join(tmpdir(), 'switchyard-demo-test-'));
    const victim = join(temp, 'victim.txt');
    writeFileSync(victim, 'untouched\n', { mode: 0o644 });
    symlinkSync(victim, join(temp, 'switchyard-demo-user-1.pem'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH,
        TMPDIR: temp,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_PRETTY: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const path = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const match = /its Ed25519 private key is in (\S+)$/.exec(line);
          if (match) resolve(match[1]!);
        });
        void exited.then((code) =>
          reject(new Error(`the demo exited (${code}) before printing its key path`)),
        );
      });
      expect(dirname(dirname(path))).toBe(temp);
      expect(mode(dirname(path))).toBe(0o700);
      expect(mode(path)).toBe(0o600);
      expect(createPrivateKey(readFileSync(path, 'utf8')).asymmetricKeyType).toBe('ed25519');
      expect(readFileSync(victim, 'utf8')).toBe('untouched\n');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(dirname(path))).toBe(false);
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(temp, { recursive: true, force: true });
    }
  }, 45_000);
});
