import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
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
