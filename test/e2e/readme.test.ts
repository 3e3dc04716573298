/**
 * Docs are code: the README's walkthrough blocks marked `<!-- runs in CI: NAME -->` run as pasted,
 * with bash, against a demo gateway on localhost:4000 (the address they name), with only the
 * variables `npm start` prints (DEMO_KEY, KEYID, PEM). A block that stops working fails the build;
 * a marked block this file does not know, or a known one that lost its marker, fails too.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningSwitchyard, startSwitchyard } from '../../src/main.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Each marked block: what its output must show, and the exit codes it may end with. */
const EXPECTED: Record<string, { output: RegExp[]; exitCodes?: number[] }> = {
  'sample-query': {
    output: [/^\{"data":\{"portfolio":\{"positions":\[\{"quantity":"[\d.]+","token":\{"symbol":"BTC"/m],
  },
  'keys-walkthrough': {
    output: [/sy_test_/, /exit 3/, /"revoked"/],
  },
  'sign-with-openssl': { output: [/"placeOrder":\{"id":"ord-\d+","status":"OPEN"/] },
  // Linked, listed without its key, balances read; then a key that can withdraw is refused.
  'link-exchange': {
    output: [
      /"linkExchangeAccount":\{"id":"xa_[\w-]+","keyFingerprint":"sha256:[0-9a-f]{16}"/,
      /"exchangeBalances":\[\{"token":\{"symbol":"[A-Z0-9]+"\},"free":"\d+\.\d{8}"/,
      /"code":"EXCHANGE_KEY_TOO_POWERFUL"/,
    ],
  },
  // curl --max-time ends the stream after 5 s with exit code 28, as the README says.
  subscription: {
    output: [/event: next/, /"priceUpdates":\{"tokenId":"(bitcoin|ethereum)"/],
    exitCodes: [28],
  },
  // Two answers, each the field's value: a token, then (right after it: curl adds no newline) a portfolio.
  rest: { output: [/^\{"id":"bitcoin","symbol":"BTC"/, /\}\{"accountId":"acc-1","positions":\[\{/] },
};

/** The marked ```sh blocks of the README, by name. */
function markedBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const pattern = /<!-- runs in CI: ([\w-]+)[^>]*-->\n```sh\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(pattern)) blocks.set(match[1]!, match[2]!);
  return blocks;
}

function run(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

const blocks = markedBlocks(README);
const free = await portIsFree(4000);
if (!free) {
  const message = 'port 4000 is in use: the README blocks name http://localhost:4000 (stop npm start)';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  console.warn(`\n*** SKIPPING the README blocks: ${message} ***\n`);
}

describe('README walkthroughs, run as pasted', () => {
  it('marks exactly the blocks this test knows', () => {
    expect([...blocks.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.skipIf(!free)('against a demo gateway on localhost:4000', () => {
    let gateway: RunningSwitchyard;
    let keyDir: string;
    let env: Record<string, string>;
    beforeAll(async () => {
      gateway = await startSwitchyard(
        loadConfig({ PORT: '4000', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, false),
        pino({ level: 'silent' }),
      );
      const demo = gateway.demoKeys!;
      // What npm start prints: user-1's key, its signing key id, the path of its private key (0600).
      keyDir = mkdtempSync(join(tmpdir(), 'switchyard-readme-'));
      const pem = join(keyDir, 'user-1.pem');
      writeFileSync(pem, demo.signer.privateKeyPem, { mode: 0o600 });
      // And the exchange sandbox's admin URL, from the line listing the sandboxes' admin routes.
      env = {
        DEMO_KEY: demo['user-1'],
        KEYID: demo.signer.keyId,
        PEM: pem,
        EXCHANGE_ADMIN: gateway.sandboxes!.exchange!.adminUrl,
      };
    }, 60_000);
    afterAll(async () => {
      await gateway?.close();
      if (keyDir) rmSync(keyDir, { recursive: true, force: true });
      // What the keys walkthrough leaves behind.
      rmSync(join(ROOT, 'acme-bot.pem'), { force: true });
      rmSync('/tmp/leak-demo', { recursive: true, force: true });
    });

    it.each(Object.entries(EXPECTED))(
      'runs the %s block',
      async (name, { output, exitCodes = [0] }) => {
        const { code, output: printed } = await run(blocks.get(name)!, env);
        expect(exitCodes, `${name} exited ${code}:\n${printed.slice(-3000)}`).toContain(code);
        for (const pattern of output) expect(printed, name).toMatch(pattern);
      },
      180_000,
    );
  });
});
