/**
 * Verifies the audit trail's hash chain in PostgreSQL (DATABASE_URL, as the gateways have it):
 * migrations are not run, nothing is written.
 */
import {
  cliLogger,
  createProgram,
  EXIT,
  emit,
  exitCodesHelp,
  jsonOption,
  loadCliConfig,
  runProgram,
  usageError,
} from './program.js';

const program = createProgram(
  'audit:verify',
  "verify the hash chain of the audit trail in the gateways' PostgreSQL (DATABASE_URL); writes nothing",
)
  .addOption(jsonOption())
  .addHelpText(
    'after',
    `
Checks that every entry links to the one before and matches its event. On success it prints the
count and the head hash: keep the head elsewhere, since removing the newest entries is visible
only against it. --json: {"ok": true, "entries", "head"} or {"ok": false, "brokenAt", "reason", "entries"}.

Example:
  DATABASE_URL=postgres://switchyard@db:5432/switchyard npm run -s audit:verify -- --json
${exitCodesHelp([
  [EXIT.ok, 'the chain is intact'],
  [EXIT.failure, 'the chain is broken (the first broken entry is named), or PostgreSQL is unreachable'],
  [EXIT.usage, 'usage error, or DATABASE_URL missing or bad configuration'],
])}`,
  )
  .action(async (options: { json?: boolean }) => {
    const { databaseUrl } = await loadCliConfig();
    if (!databaseUrl) throw usageError("DATABASE_URL must point at the gateways' PostgreSQL");
    const [{ verifyAuditChain }, { createDatabasePool }] = await Promise.all([
      import('../stores/postgres-audit-log.js'),
      import('../stores/postgres-pool.js'),
    ]);
    const pool = createDatabasePool({
      url: databaseUrl,
      logger: cliLogger('silent'),
      statementTimeoutMs: 60_000,
      connectionTimeoutMs: 5000,
      max: 1,
    });
    try {
      const verdict = await verifyAuditChain(pool);
      emit(options.json, verdict, () =>
        verdict.ok
          ? `audit chain verified: ${verdict.entries} entries, head ${verdict.head}`
          : `audit chain BROKEN at entry ${verdict.brokenAt}: ${verdict.reason} (${verdict.entries} entries before it verified)`,
      );
      if (!verdict.ok) process.exitCode = EXIT.failure;
    } finally {
      await pool.end();
    }
  });

await runProgram(program);
