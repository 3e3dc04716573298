import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { checksum, randomBase62 } from '../../src/auth/api-key-format.js';
import { createIdentity } from '../../src/auth/identity.js';
import { loadConfig } from '../../src/config.js';
import { type CliRun, runCli } from '../helpers/cli.js';
import { TEST_ENCRYPTION_KEY } from '../helpers/gateway.js';
import { useTestPostgres } from '../helpers/postgres.js';
import { useTestRedis } from '../helpers/redis.js';

// Each spawn costs ~1 s of CPU (tsx): at most three at once, however many a test starts.
const SPAWNS = 3;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs an operator CLI (src/cli/<script>.ts) as a separate process, at most SPAWNS at once. */
async function cli(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  if (running >= SPAWNS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await runCli(script, args, env);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const spki = () =>
  generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

const redis = await useTestRedis();
const postgres = await useTestPostgres();
afterAll(async () => {
  await redis?.stop();
  await postgres?.drop();
});

// Skipped only where no Redis can be had and REQUIRE_REDIS is unset (the helper says so loudly).
describe.skipIf(!redis)('npm run keys (operator CLI)', { timeout: 60_000 }, () => {
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    REDIS_URL: redis?.url ?? '',
    KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
    API_KEY_ENVIRONMENT: 'live',
  };
  const keys = (...args: string[]) => cli('keys', args, env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const ran = await keys(...args, '--json');
    expect(ran.code, ran.stderr).toBe(0);
    return JSON.parse(ran.stdout) as T;
  };

  it('explains every command with --help, exit codes included, and exits 0', async () => {
    const commands = ['create', 'list', 'rotate', 'revoke', 'revoke-all', 'audit', 'scan'];
    const helps = await Promise.all([
      keys('--help'),
      ...commands.map((c) => keys(c, '--help')),
      cli('db-migrate', ['--help'], env),
      cli('audit-verify', ['--help'], env),
    ]);
    for (const help of helps) {
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: /);
      expect(help.stdout).toContain('Exit codes:\n  0  ');
      expect(help.stdout).toContain('  2  usage error');
    }
    const [root, create, ...rest] = helps;
    for (const c of commands) expect(root!.stdout).toContain(`  ${c} `);
    expect(root!.stdout).toContain('3  scan: keys were found');
    for (const help of [create!, ...rest]) expect(help.stdout).toContain('--json');
    expect(create!.stdout).toContain('Usage: keys create [options]');
    for (const text of [
      '--live',
      '--test',
      'openssl genpkey -algorithm ed25519 -out signer.pem',
      "openssl pkey -in signer.pem -pubout -outform DER | base64 | tr -d '\\n'",
      'openssl rand -base64 32',
      'NODE_ENV=production and no\n  API_KEY_ENVIRONMENT one of --live/--test is required',
    ])
      expect(create!.stdout).toContain(text);
    expect(helps[7]!.stdout).toContain('3  keys were found');
    expect(helps[8]!.stdout).toContain('Usage: db:migrate [options]');
    expect(helps[9]!.stdout).toContain('1  the chain is broken');
  });

  it('answers an unknown command or option, or none, with a message, a --help hint and exit 2', async () => {
    const runs = await Promise.all([
      keys('frobnicate'),
      keys('list', '--client', 'x', '--frob'),
      keys(),
      keys('list'),
      cli('db-migrate', ['--frob'], env),
      cli('audit-verify', ['extra'], env),
    ]);
    for (const ran of runs) {
      expect(ran.code).toBe(2);
      expect(ran.stdout).toBe('');
      expect(ran.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(runs[0]!.stderr).toContain("unknown command 'frobnicate'");
    expect(runs[0]!.stderr).toContain('--help');
    expect(runs[1]!.stderr).toContain("unknown option '--frob'");
    expect(runs[2]!.stderr).toContain('keys: a command is required');
    expect(runs[3]!.stderr).toContain("required option '--client <id>' not specified");
    expect(runs[4]!.stderr).toContain("unknown option '--frob'");
    expect(runs[5]!.stderr).toContain('too many arguments');
  });

  it('refuses bad values naming the option and what is wrong, before anything is created', async () => {
    const base = ['create', '--client', 'refused-1', '--name', 'n'];
    const shortSecret = randomBytes(16).toString('base64');
    const runs = await Promise.all([
      keys(...base, '--expires-days', 'abc'),
      keys(...base, '--plan', 'gold'),
      keys(...base, '--scopes', 'market:read,trade:wirte'),
      keys(...base, '--cidrs', '10.0.0.0/33'),
      keys(...base, '--expires-at', '2020-01-01'),
      keys(...base, '--live', '--test'),
      keys(...base, '--hmac-secret', shortSecret),
      keys(...base, '--scopes', 'trade:write'),
      keys(...base, '--test'),
      keys(...base, '--cidrs', '0.0.0.0/0'),
      keys('audit', '--limit', '-5'),
      keys(...base, '--plan', 'gold', '--json'),
    ]);
    const expected = [
      "option '--expires-days <days>' argument 'abc' is invalid. It must be a whole number of days from 1 to 3650.",
      '--plan gold: not a configured plan; RATE_LIMIT_PLANS has free, pro, enterprise',
      'Unknown scope trade:wirte; known scopes: market:read, portfolio:read, trade:write,',
      '"10.0.0.0/33" is not a CIDR block such as 203.0.113.0/24',
      "option '--expires-at <date>' argument '2020-01-01' is invalid. It must be in the future.",
      "option '--live' cannot be used with option '--test'",
      '--hmac-secret must be at least 32 bytes; this one is 16',
      // The README's trading key: exactly what makes it pass.
      '--scopes trade:write: a trading key needs --cidrs with a narrow IP allowlist (at most a /8 of IPv4 and a /32 of IPv6 in all, e.g. --cidrs 203.0.113.7/32) or --expires-days 90 or less; and a signing credential, --ed25519-public-key or --hmac-secret',
      '--test contradicts API_KEY_ENVIRONMENT=live',
      '--cidrs: 0.0.0.0/0 admits every address',
      "option '--limit <n>' argument '-5' is invalid",
    ];
    expected.forEach((message, i) => {
      expect(runs[i]!.code, message).toBe(2);
      expect(runs[i]!.stderr).toContain(message);
      expect(runs[i]!.stdout).toBe('');
    });
    expect(runs[7]!.stderr).not.toContain(shortSecret);
    // --json: the error is also the one JSON document on stdout.
    expect(JSON.parse(runs[11]!.stdout)).toEqual({
      error: { exitCode: 2, message: expect.stringContaining('--plan gold') },
    });
    expect(await json('list', '--client', 'refused-1')).toEqual([]);
  });

  it('makes the key environment explicit: a flag, API_KEY_ENVIRONMENT, test by default, never a guess in production', async () => {
    const unset = { ...env, API_KEY_ENVIRONMENT: undefined };
    const create = (extra: NodeJS.ProcessEnv, ...args: string[]) =>
      cli('keys', ['create', '--client', 'env-1', '--name', 'n', '--json', ...args], { ...unset, ...extra });
    const [byDefault, flagged, production] = await Promise.all([
      create({}),
      create({}, '--live'),
      create({ NODE_ENV: 'production', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
    ]);
    expect(byDefault.code).toBe(0);
    expect(JSON.parse(byDefault.stdout).key).toMatch(/^sy_test_/);
    expect(flagged.code).toBe(0);
    expect(JSON.parse(flagged.stdout).key).toMatch(/^sy_live_/);
    // A live key where this environment's gateway takes test keys: made, and said.
    expect(flagged.stderr).toContain(
      'warning: making a live key, but a gateway with this environment accepts only test keys',
    );
    expect(production.code).toBe(2);
    expect(production.stderr).toContain('NODE_ENV=production: say which key to make, --live');
  });

  it('creates, lists, rotates and revokes keys, and audits each step (--json and text)', async () => {
    const created = await keys('create', '--client', 'partner-9', '--name', 'ci', '--scopes', 'market:read');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created key \w{16} v1\n {2}client {6}partner-9\n/);
    expect(created.stdout).toContain('environment live (sy_live_…)');
    expect(created.stdout).toContain('signing     none (cannot sign mutations)');
    const key = created.stdout.trim().split('\n').at(-1)!;
    expect(key).toMatch(/^sy_live_\w{16}_\w{49}$/);
    const keyId = key.slice(8, 24);

    const listed = await json<{ keyId: string; hash?: string }[]>('list', '--client', 'partner-9');
    expect(listed.map((k) => k.keyId)).toEqual([keyId]);
    expect(listed[0]?.hash).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain(key);
    const table = await keys('list', '--client', 'partner-9');
    expect(table.stdout).toMatch(
      new RegExp(`^KEY ID +V +STATUS .*\\n${keyId} +1 +active +live +free +never `),
    );

    const rotated = await json<{
      key: string;
      apiKey: { version: number };
      previous: { supersededBy: string };
    }>('rotate', '--key', keyId, '--grace-seconds', '60');
    expect(rotated.apiKey.version).toBe(2);
    expect(rotated.key).toMatch(/^sy_live_/);
    const revoked = await keys('revoke', '--key', keyId, '--reason', 'rotated early');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked key ${keyId} v1`);
    expect(revoked.stdout).toContain('status      revoked');

    const audit = (
      await json<{ type: string; actor: string; clientId: string }[]>('audit', '--limit', '50')
    ).filter((e) => e.clientId === 'partner-9');
    expect(audit.map((e) => e.type).reverse()).toEqual(['key.created', 'key.rotated', 'key.revoked']);
    expect(audit[0]?.actor).toMatch(/^cli:/);
    expect((await keys('audit', '--limit', '1')).stdout).toMatch(/^AT +TYPE +KEY ID .*\n\S+ +key\.revoked +/);
    // A refusal by the store names the option and exits 1.
    const again = await keys('rotate', '--key', keyId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'keys: --key: Only an active key that was not rotated already can be rotated.',
    );
  });

  it('creates the README trading key once it has an expiry and a signing credential; notes stay off stdout', async () => {
    const [ed25519, hmac, admin] = await Promise.all([
      keys(
        ...['create', '--client', 'acme', '--name', 'trading bot', '--scopes', 'market:read,trade:write'],
        ...['--expires-days', '90', '--ed25519-public-key', spki(), '--plan', 'pro', '--json'],
      ),
      keys(
        ...['create', '--client', 'acme', '--name', 'hmac bot', '--scopes', 'trade:write'],
        ...['--cidrs', '203.0.113.7/32', '--hmac-secret', randomBytes(32).toString('base64'), '--json'],
      ),
      keys('create', '--client', 'acme', '--name', 'admin', '--scopes', 'keys:self', '--json'),
    ]);
    expect(JSON.parse(ed25519.stdout).apiKey).toMatchObject({ signing: 'ed25519', plan: 'pro' });
    expect(JSON.parse(hmac.stdout).apiKey).toMatchObject({
      signing: 'hmac-sha256',
      allowedCidrs: ['203.0.113.7/32'],
    });
    expect(JSON.parse(admin.stdout).apiKey.scopes).toEqual(['keys:self']);
    expect(admin.stderr).toContain(
      'note: without --ed25519-public-key or --hmac-secret this key cannot make mutations',
    );
  });

  it('scans build output, reports what it skipped, and revokes confirmed keys with --revoke', async () => {
    const created = await json<{ key: string; apiKey: { keyId: string } }>(
      'create',
      '--client',
      'partner-10',
      '--name',
      'leaky',
    );
    const dir = mkdtempSync(join(tmpdir(), 'scan-'));
    mkdirSync(join(dir, 'dist'));
    mkdirSync(join(dir, 'node_modules', 'pkg'), { recursive: true });
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'dist', 'bundle.js'), `const k="${created.key}";\n`);
    writeFileSync(join(dir, 'node_modules', 'pkg', 'index.js'), `module.exports="${created.key}"\n`);
    writeFileSync(join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]));
    writeFileSync(
      join(dir, 'config.env'),
      `# oops\nSWITCHYARD_KEY=${created.key}\nFAKE=sy_live_AAAAAAAAAAAAAAAA_${'B'.repeat(49)}\n`,
    );
    symlinkSync(tmpdir(), join(dir, 'tmp-link'));

    const [report, everything] = await Promise.all([
      keys('scan', dir, '--json'),
      keys('scan', dir, '--all-dirs', '--json'),
    ]);
    expect(report.code).toBe(3);
    const parsed = JSON.parse(report.stdout) as {
      keysFound: number;
      found: { file: string; line: number; keyId: string }[];
      skipped: { path: string; reason: string }[];
    };
    expect(parsed.found).toEqual([
      { keyId: created.apiKey.keyId, environment: 'live', file: join(dir, 'config.env'), line: 2 },
      { keyId: created.apiKey.keyId, environment: 'live', file: join(dir, 'dist', 'bundle.js'), line: 1 },
    ]);
    expect(parsed.skipped).toEqual([
      { path: join(dir, '.git'), reason: 'version-control' },
      { path: join(dir, 'image.png'), reason: 'binary' },
      { path: join(dir, 'node_modules'), reason: 'dependencies' },
      { path: join(dir, 'tmp-link'), reason: 'symlink' },
    ]);
    expect(report.stdout).not.toContain(created.key);
    expect(JSON.parse(everything.stdout).keysFound).toBe(3);

    const scan = await keys('scan', dir, '--revoke');
    expect(scan.code).toBe(3);
    expect(scan.stdout).toContain(`config.env:2: key ${created.apiKey.keyId} (live)`);
    expect(scan.stdout).toContain(`bundle.js:1: key ${created.apiKey.keyId} (live)`);
    expect(scan.stdout).toContain(
      `skipped ${join(dir, 'node_modules')}: dependencies, not walked (--all-dirs to scan)`,
    );
    expect(scan.stdout).toContain(`skipped ${join(dir, 'image.png')}: binary file`);
    expect(scan.stdout).toContain('2 key(s) found in 2 file(s) scanned; 4 path(s) skipped');
    expect(scan.stdout).toContain(`revoked ${created.apiKey.keyId}`);
    expect(scan.stdout).not.toContain(created.key);
    const listed = await json<{ revokedAt: string | null; revokedReason: string }[]>(
      'list',
      '--client',
      'partner-10',
    );
    expect(listed[0]?.revokedAt).not.toBeNull();
    expect(listed[0]?.revokedReason).toContain('config.env:2');

    const [clean, missing] = await Promise.all([
      keys('scan', join(dir, '.git'), '--json'),
      keys('scan', join(dir, 'nope')),
    ]);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ keysFound: 0, filesScanned: 0, skipped: [] });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'nope')}: no such file or directory`);
  });

  it('revokes only keys confirmed by their stored hash: a forged string carrying a real key id is suspicious', async () => {
    // The gateways' view of the same store, to make keys and to check what the scan did to them.
    const client = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
    const logger = pino({ level: 'silent' });
    const identity = createIdentity({ config: loadConfig(env, false), logger, redis: client });
    try {
      const create = (name: string) =>
        identity.keys.create({ clientId: 'partner-11', name, scopes: ['market:read'] }, 'test');
      const victim = await create('victim');
      const leaked = await create('leaked');
      // Key ids are public (logs, audit, Signature-Input): anyone can wrap one in a valid checksum.
      const forge = (keyId: string) => {
        const body = `sy_live_${keyId}_${randomBase62(43)}`;
        return `${body}${checksum(body)}`;
      };
      const forgedVictim = forge(victim.record.keyId);
      const forgedLeaked = forge(leaked.record.keyId);
      const dir = mkdtempSync(join(tmpdir(), 'scan-'));
      writeFileSync(join(dir, 'planted.txt'), `${forgedVictim}\nsee also ${forgedLeaked}\n`);
      writeFileSync(join(dir, 'ci.log'), `token=${leaked.key}\n`);

      const scan = await keys('scan', dir, '--revoke');
      expect(scan.code).toBe(3);
      expect(scan.stdout).toContain('3 key(s) found');
      const planted = join(dir, 'planted.txt');
      expect(scan.stdout).toContain(
        `suspicious: key ${victim.record.keyId} in ${planted}:1 (does not match a stored key; nothing revoked)`,
      );
      expect(scan.stdout).toContain(
        `suspicious: key ${leaked.record.keyId} in ${planted}:2 (does not match a stored key; nothing revoked)`,
      );
      expect(scan.stdout).toContain(`revoked ${leaked.record.keyId}`);
      expect(scan.stdout).not.toContain(`revoked ${victim.record.keyId}`);
      for (const secret of [victim.key, leaked.key, forgedVictim, forgedLeaked])
        expect(scan.stdout).not.toContain(secret.slice(26));

      expect(await identity.keys.get(victim.record.keyId)).toMatchObject({ revokedAt: null });
      expect(await identity.keys.get(leaked.record.keyId)).toMatchObject({
        revokedReason: `found by keys scan in ${join(dir, 'ci.log')}:1`,
      });
      // The victim's real key still authenticates; the leaked one is refused.
      const auth = await identity.keys.authenticate(victim.key, { ip: '127.0.0.1' });
      expect(auth.principal.keyId).toBe(victim.record.keyId);
      await expect(identity.keys.authenticate(leaked.key, { ip: '127.0.0.1' })).rejects.toMatchObject({
        extensions: { code: 'KEY_REVOKED' },
      });
    } finally {
      await identity.close();
      await client.quit();
    }
  });

  it('refuses to run without a shared store', async () => {
    const ran = await cli('keys', ['list', '--client', 'x'], { ...env, REDIS_URL: '' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('REDIS_URL');
  });
});

// Production as deployed: keys and audit in PostgreSQL, an explicit --live.
describe.skipIf(!redis || !postgres)(
  'keys, db:migrate and audit:verify on PostgreSQL',
  { timeout: 60_000 },
  () => {
    it('creates a live key in production, then migrates (nothing to do) and verifies the audit chain, as JSON', async () => {
      const env = {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL: postgres?.url ?? '',
        REDIS_URL: redis?.url ?? '',
        KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
      };
      const created = await cli(
        'keys',
        ['create', '--client', 'pg-1', '--name', 'n', '--live', '--json'],
        env,
      );
      expect(created.code, created.stderr).toBe(0);
      expect(JSON.parse(created.stdout).key).toMatch(/^sy_live_/);
      const [migrated, verified, human] = await Promise.all([
        cli('db-migrate', ['--json'], env),
        cli('audit-verify', ['--json'], env),
        cli('audit-verify', [], env),
      ]);
      expect(migrated.code).toBe(0);
      expect(JSON.parse(migrated.stdout)).toEqual({ applied: [] });
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, entries: 1 });
      expect(human.stdout).toMatch(/^audit chain verified: 1 entries, head [0-9a-f]{64}\n$/);
    });
  },
);
