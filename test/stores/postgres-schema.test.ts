/** Migrations from an empty schema, the audit table's append-only rule, and the hash chain with its verifier. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresAuditLog, verifyAuditChain } from '../../src/stores/index.js';
import { chainHash, GENESIS_HASH } from '../../src/stores/postgres-audit-log.js';
import { migrateDatabase } from '../../src/stores/postgres-pool.js';
import { type TestPostgres, useTestPostgres } from '../helpers/postgres.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const schemas: TestPostgres[] = [];
afterAll(() => Promise.all(schemas.map((s) => s.drop())));

async function emptySchema(): Promise<TestPostgres | null> {
  const postgres = await useTestPostgres();
  if (postgres) schemas.push(postgres);
  return postgres;
}

const first = await emptySchema();

async function migrated(): Promise<TestPostgres> {
  const postgres = (await emptySchema())!;
  await migrateDatabase(postgres.pool, logger);
  return postgres;
}

async function tables(postgres: TestPostgres): Promise<string[]> {
  const { rows } = await postgres.pool.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [postgres.schema],
  );
  return rows.map((r) => r.table_name);
}

describe.skipIf(!first)('PostgreSQL migrations', () => {
  it('create every table in an empty schema once, and apply nothing the second time', async () => {
    expect(await tables(first!)).toEqual([]);
    expect(await migrateDatabase(first!.pool, logger)).toEqual([
      '1780000000000_api-keys-and-audit',
      '1790000000000_exchange-accounts',
    ]);
    expect(await tables(first!)).toEqual(['api_keys', 'audit_events', 'exchange_accounts', 'pgmigrations']);
    expect(await migrateDatabase(first!.pool, logger)).toEqual([]);
    const { rows } = await first!.pool.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'api_keys'`,
      [first!.schema],
    );
    expect(rows).toHaveLength(19);
  });

  it('let two instances start together: one migrates, the other waits on the lock and finds it done', async () => {
    const postgres = (await emptySchema())!;
    const [a, b] = await Promise.all([
      migrateDatabase(postgres.pool, logger),
      migrateDatabase(postgres.pool, logger),
    ]);
    expect([...a, ...b]).toEqual(['1780000000000_api-keys-and-audit', '1790000000000_exchange-accounts']);
  });

  it('run by npm run db:migrate against DATABASE_URL', async () => {
    const postgres = (await emptySchema())!;
    const { stdout } = await run('npx', ['tsx', 'src/cli/db-migrate.ts'], {
      env: { ...process.env, DATABASE_URL: postgres.url, NODE_ENV: 'test' },
    });
    expect(stdout).toContain('applied: 1780000000000_api-keys-and-audit');
    expect(await tables(postgres)).toContain('audit_events');
  }, 30_000);
});

describe.skipIf(!first)('PostgreSQL audit trail', () => {
  const events = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      type: 'key.created' as const,
      at: `2026-01-0${i + 1}T00:00:00.000Z`,
      keyId: `key${i}`,
      actor: 'cli:ops',
      reason: i === 0 ? undefined : `ünïcode "quoted" ${i}`,
    }));

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const postgres = await migrated();
    await createPostgresAuditLog(postgres.pool).append(events(1)[0]!);
    await expect(postgres.pool.query(`UPDATE audit_events SET type = 'key.revoked'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(postgres.pool.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    await expect(postgres.pool.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    expect((await postgres.pool.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n).toBe(1);
  });

  it('chains each entry to the one before, concurrent appends included, and verifies', async () => {
    const postgres = await migrated();
    const audit = createPostgresAuditLog(postgres.pool);
    expect(await verifyAuditChain(postgres.pool)).toEqual({ ok: true, entries: 0, head: GENESIS_HASH });
    await Promise.all(
      events(9)
        .concat(events(9))
        .concat(events(9))
        .map((event) => audit.append(event)),
    );
    const { rows } = await postgres.pool.query<{ prev_hash: string; hash: string; event: unknown }>(
      'SELECT prev_hash, hash, event FROM audit_events ORDER BY id',
    );
    expect(rows).toHaveLength(27);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(rows[0]!.hash).toBe(chainHash(GENESIS_HASH, rows[0]!.event));
    const verdict = await verifyAuditChain(postgres.pool, 3);
    expect(verdict).toEqual({ ok: true, entries: 27, head: rows[26]!.hash });
  });

  it('finds an edited event and a removed entry, and audit:verify exits 1 naming it', async () => {
    const postgres = await migrated();
    const audit = createPostgresAuditLog(postgres.pool);
    for (const event of events(5)) await audit.append(event);
    const ids = (
      await postgres.pool.query<{ id: string }>('SELECT id::text FROM audit_events ORDER BY id')
    ).rows.map((r) => r.id);
    const cli = () =>
      run('npx', ['tsx', 'src/cli/audit-verify.ts'], {
        env: { ...process.env, DATABASE_URL: postgres.url, NODE_ENV: 'test' },
      });
    expect((await cli()).stdout).toContain('audit chain verified: 5 entries');

    // Tampering as the superuser, around the trigger: what an attacker with the database would do.
    await postgres.pool.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete');
    await postgres.pool.query(
      `UPDATE audit_events SET event = event || '{"actor":"cli:nobody"}' WHERE id = $1`,
      [ids[2]],
    );
    expect(await verifyAuditChain(postgres.pool)).toMatchObject({
      ok: false,
      brokenAt: ids[2],
      entries: 2,
      reason: 'hash does not match the event',
    });
    const failed = await cli().then(
      () => null,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain(`audit chain BROKEN at entry ${ids[2]}`);

    await postgres.pool.query('DELETE FROM audit_events WHERE id = $1', [ids[2]]);
    expect(await verifyAuditChain(postgres.pool)).toMatchObject({
      ok: false,
      brokenAt: ids[3],
      reason: 'prev_hash does not match the entry before',
    });
  }, 30_000);
});
