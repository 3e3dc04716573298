/**
 * Verifies the audit trail's hash chain in PostgreSQL (DATABASE_URL, as the gateways have it):
 * migrations are not run, nothing is written.
 *
 *   npm run audit:verify
 *
 * Exit 0: every entry links to the one before and matches its event (prints the count and the head
 * hash, worth keeping elsewhere: removing the newest entries is visible only against it).
 * Exit 1: names the first broken entry. Exit 2: no DATABASE_URL or a bad configuration.
 */
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config.js';
import { verifyAuditChain } from '../stores/postgres-audit-log.js';
import { createDatabasePool } from '../stores/postgres-pool.js';

function fail(message: string, code: number): never {
  process.stderr.write(`audit:verify: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let databaseUrl: string | undefined;
  try {
    databaseUrl = loadConfig(process.env, undefined, { needsUpstreams: false }).databaseUrl;
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : String(err), 2);
  }
  if (!databaseUrl) fail('DATABASE_URL must point at the gateways’ PostgreSQL', 2);
  const pool = createDatabasePool({
    url: databaseUrl,
    logger: pino({ level: 'silent' }),
    statementTimeoutMs: 60_000,
    connectionTimeoutMs: 5000,
    max: 1,
  });
  try {
    const verdict = await verifyAuditChain(pool);
    if (verdict.ok) {
      process.stdout.write(`audit chain verified: ${verdict.entries} entries, head ${verdict.head}\n`);
    } else {
      process.stdout.write(
        `audit chain BROKEN at entry ${verdict.brokenAt}: ${verdict.reason} (${verdict.entries} entries before it verified)\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => fail((err as Error).message, 1));
