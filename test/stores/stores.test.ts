import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import {
  createMemoryApiKeyStore,
  createMemoryAuditLog,
  createMemoryNonceStore,
} from '../../src/stores/memory.js';
import {
  createRedisApiKeyStore,
  createRedisAuditLog,
  createRedisNonceStore,
} from '../../src/stores/redis.js';
import { useTestRedis } from '../helpers/redis.js';
import { runStoreContract } from './contract.js';

runStoreContract('memory', async () => ({
  keys: createMemoryApiKeyStore(),
  audit: createMemoryAuditLog(),
  nonces: createMemoryNonceStore(),
}));

const testRedis = await useTestRedis();
const redis = testRedis ? new Redis(testRedis.url, { maxRetriesPerRequest: 1 }) : undefined;
afterAll(async () => {
  await redis?.quit();
  await testRedis?.stop();
});

runStoreContract(
  'redis',
  async () => {
    const prefix = `test:${randomUUID()}:`;
    return {
      keys: createRedisApiKeyStore({ redis: redis!, prefix }),
      audit: createRedisAuditLog({ redis: redis!, prefix }),
      nonces: createRedisNonceStore({ redis: redis!, prefix }),
    };
  },
  redis !== undefined,
);
