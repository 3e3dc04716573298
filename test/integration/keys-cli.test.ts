import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { checksum, randomBase62 } from '../../src/auth/api-key-format.js';
import { createIdentity } from '../../src/auth/identity.js';
import { loadConfig } from '../../src/config.js';
import { TEST_ENCRYPTION_KEY } from '../helpers/gateway.js';
import { useTestRedis } from '../helpers/redis.js';

const run = promisify(execFile);
const redis = await useTestRedis();

// Skipped only where no Redis can be had and REQUIRE_REDIS is unset (the helper says so loudly).
describe.skipIf(!redis)('npm run keys (operator CLI)', () => {
  const env = {
    ...process.env,
    REDIS_URL: redis?.url ?? '',
    KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
    API_KEY_ENVIRONMENT: 'live',
  };
  const keys = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', ...args], {
        env,
      });
      return { code: 0, stdout };
    } catch (err) {
      const failed = err as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout + failed.stderr };
    }
  };
  afterAll(async () => {
    await redis?.stop();
  });

  it('creates, lists, rotates and revokes keys, and audits each step', async () => {
    const created = await keys('create', '--client', 'partner-9', '--name', 'ci', '--scopes', 'market:read');
    expect(created.code).toBe(0);
    const { key, apiKey } = JSON.parse(created.stdout) as {
      key: string;
      apiKey: { keyId: string; hash?: string };
    };
    expect(key).toMatch(/^sy_live_/);
    expect(apiKey.hash).toBeUndefined();

    const listed = JSON.parse((await keys('list', '--client', 'partner-9')).stdout) as { keyId: string }[];
    expect(listed.map((k) => k.keyId)).toEqual([apiKey.keyId]);
    expect(JSON.stringify(listed)).not.toContain(key);

    const rotated = JSON.parse(
      (await keys('rotate', '--key', apiKey.keyId, '--grace-seconds', '60')).stdout,
    ) as {
      apiKey: { version: number };
      previous: { supersededBy: string };
    };
    expect(rotated.apiKey.version).toBe(2);
    expect((await keys('revoke', '--key', apiKey.keyId, '--reason', 'rotated early')).code).toBe(0);

    const audit = JSON.parse((await keys('audit', '--limit', '10')).stdout) as {
      type: string;
      actor: string;
    }[];
    expect(audit.map((e) => e.type).reverse()).toEqual(['key.created', 'key.rotated', 'key.revoked']);
    expect(audit[0]?.actor).toMatch(/^cli:/);
  });

  it('finds leaked keys in files by pattern and checksum, names them, and revokes them with --revoke', async () => {
    const created = JSON.parse(
      (await keys('create', '--client', 'partner-10', '--name', 'leaky')).stdout,
    ) as {
      key: string;
      apiKey: { keyId: string };
    };
    const dir = mkdtempSync(join(tmpdir(), 'scan-'));
    writeFileSync(
      join(dir, 'config.env'),
      `# oops\nSWITCHYARD_KEY=${created.key}\nFAKE=sy_live_AAAAAAAAAAAAAAAA_${'B'.repeat(49)}\n`,
    );
    const scan = await keys('scan', dir, '--revoke');
    expect(scan.code).toBe(1);
    expect(scan.stdout).toContain(`config.env:2: key ${created.apiKey.keyId} (live)`);
    expect(scan.stdout).toContain('1 key(s) found');
    expect(scan.stdout).toContain(`revoked ${created.apiKey.keyId}`);
    expect(scan.stdout).not.toContain(created.key);
    const listed = JSON.parse((await keys('list', '--client', 'partner-10')).stdout) as {
      revokedAt: string | null;
      revokedReason: string;
    }[];
    expect(listed[0]?.revokedAt).not.toBeNull();
    expect(listed[0]?.revokedReason).toContain('config.env:2');
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
      expect(scan.code).toBe(1);
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
    const { code, stdout } = await (async () => {
      try {
        await run(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', 'list', '--client', 'x'], {
          env: { ...env, REDIS_URL: '' },
        });
        return { code: 0, stdout: '' };
      } catch (err) {
        return { code: (err as { code: number }).code, stdout: (err as { stderr: string }).stderr };
      }
    })();
    expect(code).toBe(2);
    expect(stdout).toContain('REDIS_URL');
  });
});
