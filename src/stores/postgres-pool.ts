/**
 * The PostgreSQL pool of one gateway process (DATABASE_URL) and its migrations. Timeouts are short
 * on purpose: while PostgreSQL is unreachable a key lookup must fail fast, so the key cache answers
 * for known keys and unknown keys are refused at once (src/keys/lookup.ts), instead of every request
 * waiting on a connection.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';

export interface DatabasePoolOptions {
  /** postgres:// URL (DATABASE_URL). */
  url: string;
  logger: Logger;
  /** Longest wait for a connection, in ms. @default 1000 */
  connectionTimeoutMs?: number;
  /** Server-side statement_timeout (and the client's query timeout, a little longer), in ms. @default 2000 */
  statementTimeoutMs?: number;
  /** Connections at most. @default 10 */
  max?: number;
  /** search_path of every connection (tests run in a schema of their own). @default the server's */
  schema?: string;
}

/** A pool with short timeouts whose idle-connection errors are logged, not thrown (they would crash the process). */
export function createDatabasePool({
  url,
  logger,
  connectionTimeoutMs = 1000,
  statementTimeoutMs = 2000,
  max = 10,
  schema,
}: DatabasePoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectionTimeoutMs,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 500,
    idleTimeoutMillis: 30_000,
    application_name: 'switchyard',
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', (err) => logger.warn({ err: { message: err.message } }, 'postgres idle connection error'));
  return pool;
}

/** The repository's migrations/ folder, from src/stores (tsx) or dist/src/stores (built image). */
export function migrationsDir(): string {
  const candidates = ['../../migrations', '../../../migrations'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new Error(`migrations folder not found (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * Applies pending migrations in the pool's current schema, in one transaction, under node-pg-migrate's
 * advisory lock: instances starting together wait for each other instead of racing. Returns the
 * names applied (none when the schema is up to date).
 */
export async function migrateDatabase(pool: pg.Pool, logger: Logger): Promise<string[]> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ schema: string }>('SELECT current_schema() AS schema');
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('no current schema: check search_path');
    const log = logger.child({ component: 'migrations' });
    // Loaded only where a database is configured: tools and memory-only processes start without it.
    const { runner } = await import('node-pg-migrate');
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir(),
      direction: 'up',
      migrationsTable: 'pgmigrations',
      schema,
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      logger: {
        debug: (msg: string) => log.debug(msg),
        info: (msg: string) => log.debug(msg),
        warn: (msg: string) => log.warn(msg),
        error: (msg: string) => log.error(msg),
      },
    });
    if (applied.length > 0) log.info({ applied: applied.map((m) => m.name) }, 'migrations applied');
    return applied.map((m) => m.name);
  } finally {
    client.release();
  }
}
