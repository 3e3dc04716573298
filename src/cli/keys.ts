/**
 * Operator CLI for API keys, on the same stores as the gateways (DATABASE_URL, REDIS_URL,
 * KEYS_ENCRYPTION_KEY, REDIS_KEY_PREFIX, API_KEY_ENVIRONMENT as the gateways have them): keys and
 * audit in PostgreSQL when DATABASE_URL is set (migrated first), Redis pushes revocations.
 *
 *   npm run keys -- create --client ID --name NAME [--scopes a,b] [--plan P] [--expires-days N] [--cidrs a,b]
 *                          [--ed25519-public-key B64] [--hmac-secret B64]
 *   npm run keys -- rotate --key KEY_ID [--grace-seconds 86400]
 *   npm run keys -- revoke --key KEY_ID --reason TEXT
 *   npm run keys -- revoke-all --client ID --reason TEXT
 *   npm run keys -- list --client ID
 *   npm run keys -- audit [--limit 50]
 *   npm run keys -- scan PATH... [--revoke] [--reason TEXT]   (--revoke: only keys confirmed by their stored hash)
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createIdentity } from '../auth/identity.js';
import { ConfigError, loadConfig } from '../config.js';
import type { KeyService } from '../keys/service.js';
import type { ApiKeyRecord } from '../keys/types.js';
import { createStores } from '../stores/index.js';
import { revokeConfirmed, scanForKeys } from './scan.js';

const USAGE = `usage: npm run keys -- <create|rotate|revoke|revoke-all|list|audit|scan> [options] (see src/cli/keys.ts)`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    client: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string' },
    plan: { type: 'string' },
    'expires-days': { type: 'string' },
    cidrs: { type: 'string' },
    'ed25519-public-key': { type: 'string' },
    'hmac-secret': { type: 'string' },
    key: { type: 'string' },
    'grace-seconds': { type: 'string', default: '86400' },
    reason: { type: 'string' },
    limit: { type: 'string', default: '50' },
    revoke: { type: 'boolean', default: false },
  },
});
const [command, ...paths] = positionals;
const actor = `cli:${userInfo().username}`;

function required(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') fail(`--${name} is required for ${command}`);
  return value as string;
}

function fail(message: string): never {
  process.stderr.write(`keys: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const list = (value: string | undefined) =>
  value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

function summary(record: ApiKeyRecord) {
  const { hash: _hash, signing, ...rest } = record;
  return { ...rest, signing: signing?.type ?? null };
}

async function withKeys<T>(run: (keys: KeyService) => Promise<T>): Promise<T> {
  let config: ReturnType<typeof loadConfig>;
  try {
    // The key CLI never calls an upstream: production needs no upstream variables here.
    config = loadConfig(process.env, undefined, { needsUpstreams: false });
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : String(err));
  }
  if (config.production && !config.databaseUrl)
    fail("DATABASE_URL must point at the gateways' PostgreSQL: in production keys live there, not in Redis");
  if (!config.redisUrl && !config.databaseUrl)
    fail(
      "DATABASE_URL (or REDIS_URL) must point at the gateways' stores (memory keys live inside one gateway process)",
    );
  const logger = pino({ level: 'warn' });
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 2000 })
    : undefined;
  // pg and the migration tool are loaded only when there is a database to talk to.
  const postgres = config.databaseUrl ? await import('../stores/postgres-pool.js') : undefined;
  const database =
    postgres && config.databaseUrl
      ? postgres.createDatabasePool({ url: config.databaseUrl, logger, connectionTimeoutMs: 5000, max: 2 })
      : undefined;
  const stores = createStores({ redis, database, prefix: config.redisKeyPrefix, logger });
  const identity = createIdentity({ config, logger, redis, stores });
  try {
    if (database) await postgres?.migrateDatabase(database, logger);
    return await run(identity.keys);
  } finally {
    await identity.close();
    await stores.close();
    await redis?.quit();
    await database?.end();
  }
}

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

async function main(): Promise<void> {
  switch (command) {
    case 'create':
      return withKeys(async (keys) => {
        const days = values['expires-days'] ? Number(values['expires-days']) : null;
        const { key, record } = await keys.create(
          {
            clientId: required('client'),
            name: required('name'),
            scopes: list(values.scopes),
            plan: values.plan,
            expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null,
            allowedCidrs: list(values.cidrs) ?? null,
            signing: values['ed25519-public-key']
              ? { type: 'ed25519', publicKey: values['ed25519-public-key'] }
              : values['hmac-secret']
                ? { type: 'hmac-sha256', secret: values['hmac-secret'] }
                : null,
          },
          actor,
        );
        print({ key, note: 'Shown once: Switchyard stores only a hash.', apiKey: summary(record) });
      });
    case 'rotate':
      return withKeys(async (keys) => {
        const { key, record, previous } = await keys.rotate(
          required('key'),
          Number(values['grace-seconds']),
          actor,
        );
        print({ key, note: 'Shown once.', apiKey: summary(record), previous: summary(previous) });
      });
    case 'revoke':
      return withKeys(async (keys) =>
        print(summary(await keys.revoke(required('key'), required('reason'), actor))),
      );
    case 'revoke-all':
      return withKeys(async (keys) =>
        print({ revoked: await keys.revokeAll(required('client'), required('reason'), actor) }),
      );
    case 'list':
      return withKeys(async (keys) => print((await keys.list(required('client'))).map(summary)));
    case 'audit':
      return withKeys(async (keys) => print(await keys.recentAudit(Number(values.limit))));
    case 'scan': {
      if (paths.length === 0) fail('scan needs at least one PATH');
      // Each match carries the key string for confirmation; only its id and place are ever printed.
      const found = scanForKeys(paths);
      for (const f of found) process.stdout.write(`${f.file}:${f.line}: key ${f.keyId} (${f.environment})\n`);
      process.stdout.write(`${found.length} key(s) found\n`);
      if (values.revoke && found.length > 0) {
        await withKeys(async (keys) => {
          for (const leak of await revokeConfirmed(found, keys, { actor, reason: values.reason })) {
            const where = leak.where.join(', ');
            if (leak.outcome === 'revoked') process.stdout.write(`revoked ${leak.keyId}\n`);
            else if (leak.outcome === 'suspicious')
              process.stdout.write(
                `suspicious: key ${leak.keyId} in ${where} (does not match a stored key; nothing revoked)\n`,
              );
            else process.stdout.write(`could not revoke ${leak.keyId}: ${leak.error}\n`);
          }
        });
      }
      // 1 when anything was found, confirmed or suspicious: either way someone should look.
      process.exitCode = found.length > 0 ? 1 : 0;
      return;
    }
    default:
      fail(command ? `unknown command ${command}` : 'a command is required');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`keys: ${(err as Error).message}\n`);
  process.exit(1);
});
