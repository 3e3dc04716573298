import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryPersistedOperationStore,
  createRedisPersistedOperationStore,
} from '../../src/stores/persisted-operations.js';
import { useTestRedis } from '../helpers/redis.js';
import { runPersistedOperationStoreContract } from './persisted-operations-contract.js';

runPersistedOperationStoreContract('memory', async () => createMemoryPersistedOperationStore());

const testRedis = await useTestRedis();
const redis = testRedis ? new Redis(testRedis.url, { maxRetriesPerRequest: 1 }) : undefined;
afterAll(async () => {
  await redis?.quit();
  await testRedis?.stop();
});

runPersistedOperationStoreContract(
  'redis',
  async () => createRedisPersistedOperationStore({ redis: redis!, prefix: `test:${randomUUID()}:` }),
  redis !== undefined,
);

describe('memory persisted operation store', () => {
  it('drops the least recently used documents beyond its capacity', async () => {
    const store = createMemoryPersistedOperationStore(2);
    await store.set('a', '{ a }', 60);
    await store.set('b', '{ b }', 60);
    expect(await store.get('a')).toBe('{ a }'); // b is now the least recently used
    await store.set('c', '{ c }', 60);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('a')).toBe('{ a }');
    expect(await store.get('c')).toBe('{ c }');
  });
});

describe('redis persisted operation store', () => {
  it.skipIf(!redis)('keeps documents under its prefix with an expiry', async () => {
    const prefix = `test:${randomUUID()}:`;
    await createRedisPersistedOperationStore({ redis: redis!, prefix }).set('h1', '{ a }', 60);
    expect(await redis!.get(`${prefix}apq:h1`)).toBe('{ a }');
    const ttl = await redis!.ttl(`${prefix}apq:h1`);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });
});
