/**
 * Who the benchmark's requests act as. With a Redis (REDIS_URL, or a redis-server it can start), an
 * API key of user-1 (with an Ed25519 signing credential) created by the operator CLI in a namespace
 * of its own, as the e2e tests get theirs (test/helpers/identity.ts) — the cheap credential of
 * machine clients, checked on every request. Without one, a JWT from a local test identity provider
 * (costlier to verify: ~0.1 ms per request).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { provisionSigningIdentity, startBlackBoxIdentity } from '../test/helpers/identity.js';
import { useTestRedis } from '../test/helpers/redis.js';

export interface BenchIdentity {
  /** `api-key` or `jwt`. */
  readonly mode: string;
  /** Environment the gateway needs to accept the credential. */
  readonly gatewayEnv: Record<string, string>;
  /** Headers of one load run (a JWT is minted per run: it expires after 5 minutes). */
  headers(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startBenchIdentity(): Promise<BenchIdentity> {
  const redis = await useTestRedis().catch(() => null);
  if (!redis) {
    const jwt = await startBlackBoxIdentity();
    return {
      mode: 'jwt',
      gatewayEnv: jwt.gatewayEnv,
      headers: () => jwt.headers('user-1'),
      close: () => jwt.close(),
    };
  }
  const prefix = `bench:${Date.now()}:`;
  const gatewayEnv = {
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    NODE_ENV: 'production',
  };
  const signing = await provisionSigningIdentity(gatewayEnv, process.cwd());
  return {
    mode: 'api-key',
    gatewayEnv,
    // Queries only for now; the signed placeOrder scenario will sign each request.
    headers: async () =>
      signing.headers('user-1', { method: 'POST', url: '', body: '', contentType: '', signed: false }),
    async close() {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      try {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) await client.del(...keys);
      } finally {
        client.disconnect();
        await redis.stop();
      }
    },
  };
}
