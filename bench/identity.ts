/**
 * Who the benchmark's requests act as: user-1, through an API key with an Ed25519 signing
 * credential, created by the operator CLI (src/cli/keys.ts) on a Redis of the bench's own namespace —
 * the production path of a machine client: key check per request, Redis-backed nonces and rate-limit
 * counters. The key is on a plan `bench` whose limits are a million times the free plan's, so every
 * limit is counted and none refuses. Needs a Redis (REDIS_URL, or a redis-server it can start) and a
 * PostgreSQL (DATABASE_URL, default the test server).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { ed25519SigningKey, type SigningKey, signRequest } from '../src/client/sign.js';
import { useTestPostgres } from '../test/helpers/postgres.js';
import { useTestRedis } from '../test/helpers/redis.js';

export interface BenchIdentity {
  /** Environment the gateway needs to accept the credential (Redis, keys, plans). */
  readonly gatewayEnv: Record<string, string>;
  /** Headers of an unsigned request (queries). */
  readonly headers: Record<string, string>;
  /** Headers of a signed POST of `body` to `url` (mutations): a fresh nonce every time. */
  signed(url: string, body: string): Record<string, string>;
  close(): Promise<void>;
}

const run = promisify(execFile);

export async function startBenchIdentity(): Promise<BenchIdentity> {
  const redis = await useTestRedis();
  if (!redis) throw new Error('the benchmark needs Redis: set REDIS_URL or install redis-server');
  // Production keeps its keys in PostgreSQL: a schema of the bench's own, dropped at the end.
  const database = await useTestPostgres();
  if (!database) throw new Error('the benchmark needs PostgreSQL: set DATABASE_URL');
  const prefix = `bench:${Date.now()}:`;
  const gatewayEnv = {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    NODE_ENV: 'production',
    RATE_LIMIT_PLANS: 'free=1,pro=10,enterprise=100,bench=1000000',
  };
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/keys.ts',
      'create',
      ...['--client', 'user-1', '--name', 'bench', '--plan', 'bench', '--expires-days', '1'],
      ...['--scopes', 'market:read,portfolio:read,trade:write'],
      ...['--ed25519-public-key', publicKey.export({ type: 'spki', format: 'der' }).toString('base64')],
      ...['--live', '--json'],
    ],
    { env: { ...process.env, ...gatewayEnv } },
  );
  const created = JSON.parse(stdout) as { key: string; apiKey: { keyId: string } };
  const signing: SigningKey = ed25519SigningKey(created.apiKey.keyId, privateKey);
  const headers = { 'x-api-key': created.key };
  return {
    gatewayEnv,
    headers,
    signed: (url, body) => ({
      ...headers,
      ...signRequest({
        method: 'POST',
        url,
        body: Buffer.from(body),
        contentType: 'application/json',
        key: signing,
        created: Math.floor(Date.now() / 1000),
      }),
    }),
    async close() {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      try {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) await client.del(...keys);
      } finally {
        client.disconnect();
        await redis.stop();
        await database.drop();
      }
    },
  };
}
