/** The PostgreSQL schema a store test file runs its contract over, migrated, dropped after the file; undefined: none. */
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll } from 'vitest';
import { migrateDatabase } from '../../src/stores/postgres-pool.js';
import { useTestPostgres } from '../helpers/postgres.js';

export async function useStorePostgres(): Promise<pg.Pool | undefined> {
  const postgres = await useTestPostgres();
  if (!postgres) return undefined;
  afterAll(() => postgres.drop());
  await migrateDatabase(postgres.pool, pino({ level: 'silent' }));
  return postgres.pool;
}
