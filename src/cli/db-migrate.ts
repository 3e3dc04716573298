/**
 * Applies pending migrations (migrations/) to DATABASE_URL, as the gateway does at start: under an
 * advisory lock, in one transaction. For deployments that migrate before rolling out.
 *
 *   npm run db:migrate
 */
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config.js';
import { createDatabasePool, migrateDatabase } from '../stores/postgres-pool.js';

async function main(): Promise<void> {
  let databaseUrl: string | undefined;
  try {
    databaseUrl = loadConfig(process.env, undefined, { needsUpstreams: false }).databaseUrl;
  } catch (err) {
    process.stderr.write(`db:migrate: ${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  if (!databaseUrl) {
    process.stderr.write('db:migrate: DATABASE_URL is not set\n');
    process.exit(2);
  }
  const logger = pino({ level: 'warn' });
  const pool = createDatabasePool({
    url: databaseUrl,
    logger,
    statementTimeoutMs: 300_000,
    connectionTimeoutMs: 5000,
  });
  try {
    const applied = await migrateDatabase(pool, logger);
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`db:migrate: ${(err as Error).message}\n`);
  process.exit(1);
});
