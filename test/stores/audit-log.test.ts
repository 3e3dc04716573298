/** One contract for every AuditLog (memory, Redis and PostgreSQL). */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../src/keys/stores.js';
import { createMemoryAuditLog, createPostgresAuditLog, createRedisAuditLog } from '../../src/stores/index.js';
import { migrateDatabase } from '../../src/stores/postgres-pool.js';
import { useTestPostgres } from '../helpers/postgres.js';
import { freshPrefix, useStoreRedis } from './redis-client.js';

function contract(name: string, make: (capacity?: number) => AuditLog, available = true) {
  describe.skipIf(!available)(`${name} audit log`, () => {
    it('keeps events in order and returns the newest first, at most `limit`', async () => {
      const audit = make();
      const marker = randomUUID();
      for (let i = 0; i < 3; i++)
        await audit.append({
          type: 'key.created',
          at: `2026-01-0${i + 1}T00:00:00.000Z`,
          keyId: `${marker}-${i}`,
          actor: 'cli:ops',
        });
      const recent = await audit.recent(3);
      expect(recent.map((e) => e.keyId)).toEqual([`${marker}-2`, `${marker}-1`, `${marker}-0`]);
      expect(recent[0]).toEqual({
        type: 'key.created',
        at: '2026-01-03T00:00:00.000Z',
        keyId: `${marker}-2`,
        actor: 'cli:ops',
      });
      expect((await audit.recent(2)).map((e) => e.keyId)).toEqual([`${marker}-2`, `${marker}-1`]);
    });

    it('answers an empty list before anything was appended', async () => {
      expect(await make().recent(10)).toEqual([]);
    });
  });
}

contract('memory', () => createMemoryAuditLog());

const redis = await useStoreRedis();
contract('redis', () => createRedisAuditLog({ redis: redis!, prefix: freshPrefix() }), redis !== undefined);

// The contract reads "everything appended", so each PostgreSQL audit log gets a schema of its own.
const probe = await useTestPostgres();
await probe?.drop();
const schemas: Array<{ drop(): Promise<void> }> = [];
afterAll(() => Promise.all(schemas.map((s) => s.drop())));
async function freshAuditPool(): Promise<pg.Pool> {
  const postgres = (await useTestPostgres())!;
  schemas.push(postgres);
  await migrateDatabase(postgres.pool, pino({ level: 'silent' }));
  return postgres.pool;
}
const pools = probe ? [await freshAuditPool(), await freshAuditPool()] : [];
let next = 0;
contract('postgres', () => createPostgresAuditLog(pools[next++]!), probe !== null);

describe('memory audit log', () => {
  it('keeps the newest events up to its capacity', async () => {
    const audit = createMemoryAuditLog(2);
    for (const keyId of ['a', 'b', 'c']) await audit.append({ type: 'key.revoked', at: '', keyId });
    expect((await audit.recent(10)).map((e) => e.keyId)).toEqual(['c', 'b']);
  });
});
