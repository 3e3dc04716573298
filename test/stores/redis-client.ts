/** The Redis a store test file runs its contract over, closed after the file; undefined: none to be had. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { useTestRedis } from '../helpers/redis.js';

export async function useStoreRedis(): Promise<Redis | undefined> {
  const testRedis = await useTestRedis();
  const redis = testRedis ? new Redis(testRedis.url, { maxRetriesPerRequest: 1 }) : undefined;
  afterAll(async () => {
    await redis?.quit();
    await testRedis?.stop();
  });
  return redis;
}

/** A prefix no other test uses: each run of a contract test starts from an empty namespace. */
export const freshPrefix = (): string => `test:${randomUUID()}:`;
