/**
 * Applies pending migrations (migrations/) to DATABASE_URL, as the gateway does at start: under an
 * advisory lock, in one transaction. For deployments that migrate before rolling out.
 */
import {
  COMMON_EXIT_CODES,
  cliLogger,
  createProgram,
  emit,
  exitCodesHelp,
  jsonOption,
  loadCliConfig,
  runProgram,
  usageError,
} from './program.js';

const program = createProgram(
  'db:migrate',
  "apply pending migrations to the gateways' PostgreSQL (DATABASE_URL), as a gateway does at start",
)
  .addOption(jsonOption())
  .addHelpText(
    'after',
    `
Runs in one transaction under an advisory lock: gateways starting meanwhile wait for it.
Prints the migrations applied, or "up to date"; --json: {"applied": [...]}.

Example:
  DATABASE_URL=postgres://switchyard@db:5432/switchyard npm run -s db:migrate -- --json
${exitCodesHelp([
  COMMON_EXIT_CODES.ok,
  [1, 'a migration failed or PostgreSQL is unreachable (nothing applied: one transaction)'],
  [2, 'usage error, or DATABASE_URL missing or bad configuration'],
])}`,
  )
  .action(async (options: { json?: boolean }) => {
    const { databaseUrl } = await loadCliConfig();
    if (!databaseUrl) throw usageError("DATABASE_URL must point at the gateways' PostgreSQL");
    const { createDatabasePool, migrateDatabase } = await import('../stores/postgres-pool.js');
    const logger = cliLogger();
    const pool = createDatabasePool({
      url: databaseUrl,
      logger,
      statementTimeoutMs: 300_000,
      connectionTimeoutMs: 5000,
    });
    try {
      const applied = await migrateDatabase(pool, logger);
      emit(options.json, { applied }, () =>
        applied.length > 0 ? `applied: ${applied.join(', ')}` : 'up to date',
      );
    } finally {
      await pool.end();
    }
  });

await runProgram(program);
