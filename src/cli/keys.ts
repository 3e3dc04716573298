/**
 * Operator CLI for API keys, on the gateways' stores (see key-store.ts): `npm run keys -- --help`,
 * and `--help` on every command. Exit codes: program.ts (EXIT).
 */
import { userInfo } from 'node:os';
import { withKeys } from './key-store.js';
import { addCreateCommand } from './keys-create.js';
import { auditTable, describeKey, keyTable, summary } from './keys-format.js';
import { addRewrapCommand } from './keys-rewrap.js';
import { addScanCommand } from './keys-scan.js';
import { integerIn } from './options.js';
import {
  COMMON_EXIT_CODES,
  createProgram,
  emit,
  exitCodesHelp,
  jsonOption,
  loadCliConfig,
  runProgram,
} from './program.js';

const STANDARD_EXITS = exitCodesHelp([
  COMMON_EXIT_CODES.ok,
  COMMON_EXIT_CODES.failure,
  COMMON_EXIT_CODES.usage,
]);
const actor = () => `cli:${userInfo().username}`;

const program = createProgram(
  'keys',
  "Manage Switchyard API keys on the gateways' stores. Run as: npm run -s keys -- <command>",
).addHelpText(
  'after',
  `
Reads the gateways' DATABASE_URL (PostgreSQL, migrated first) and/or REDIS_URL (or REDIS_SENTINELS
with REDIS_SENTINEL_NAME), KEYS_ENCRYPTION_KEYS, REDIS_KEY_PREFIX, API_KEY_ENVIRONMENT and RATE_LIMIT_PLANS.
Every command takes --help and --json (one JSON document on stdout; messages go to stderr).
npm prints its own banner on stdout: use npm run -s (or npx tsx src/cli/keys.ts) when piping.
${exitCodesHelp([
  COMMON_EXIT_CODES.ok,
  COMMON_EXIT_CODES.failure,
  COMMON_EXIT_CODES.usage,
  [3, 'scan: keys were found'],
])}`,
);

addCreateCommand(program);
addRewrapCommand(program);

program
  .command('list')
  .description("list a client's keys (never the keys themselves)")
  .requiredOption('--client <id>', 'client id')
  .addOption(jsonOption())
  .addHelpText('after', `\nExample:\n  npm run -s keys -- list --client acme --json\n${STANDARD_EXITS}`)
  .action(async (options: { client: string; json?: boolean }) => {
    const listed = await withKeys(await loadCliConfig(), { pepper: false }, (keysFor) =>
      keysFor().list(options.client),
    );
    const keys = listed.map(summary);
    emit(options.json, keys, () => keyTable(keys));
  });

program
  .command('rotate')
  .description('issue the next version of a key; the old one keeps working for the grace period')
  .requiredOption('--key <keyId>', 'id of the key to rotate (the part after sy_live_ or sy_test_)')
  .option(
    '--grace-seconds <seconds>',
    'how long the old key keeps working (0-2592000)',
    integerIn(0, 2_592_000, 'seconds'),
    86_400,
  )
  .addOption(jsonOption())
  .addHelpText(
    'after',
    `
The new key has the old one's environment, scopes, plan, allowlist, signing credential and
lifetime. It is printed once.

Example:
  npm run -s keys -- rotate --key 3hT0cXzQ1mB7nR2a --grace-seconds 86400
${STANDARD_EXITS}`,
  )
  .action(async (options: { key: string; graceSeconds: number; json?: boolean }) => {
    const { key, record, previous } = await withKeys(
      await loadCliConfig(),
      { pepper: true },
      async (keysFor) => {
        // The next version keeps the old key's environment, whatever this process's default is.
        const old = await keysFor().get(options.key);
        return keysFor(old?.environment).rotate(options.key, options.graceSeconds, actor());
      },
    );
    const apiKey = summary(record);
    const old = summary(previous);
    emit(options.json, { key, note: 'Shown once.', apiKey, previous: old }, () =>
      [
        `rotated ${old.keyId}: it works until ${old.sunsetAt ?? old.expiresAt}`,
        `new ${describeKey(apiKey)}`,
        '',
        'The new key, shown once (Switchyard stores only a hash):',
        key,
      ].join('\n'),
    );
  });

program
  .command('revoke')
  .description('revoke a key now, on every gateway')
  .requiredOption('--key <keyId>', 'id of the key to revoke')
  .requiredOption('--reason <text>', 'why (kept in the audit trail)')
  .addOption(jsonOption())
  .addHelpText(
    'after',
    `\nExample:\n  npm run -s keys -- revoke --key 3hT0cXzQ1mB7nR2a --reason "leaked in CI log"\n${STANDARD_EXITS}`,
  )
  .action(async (options: { key: string; reason: string; json?: boolean }) => {
    const record = await withKeys(await loadCliConfig(), { pepper: false }, (keysFor) =>
      keysFor().revoke(options.key, options.reason, actor()),
    );
    const revoked = summary(record);
    emit(options.json, revoked, () => `revoked ${describeKey(revoked)}`);
  });

program
  .command('revoke-all')
  .description("revoke every key of a client (an incident: the client's keys may all be exposed)")
  .requiredOption('--client <id>', 'client id')
  .requiredOption('--reason <text>', 'why (kept in the audit trail)')
  .addOption(jsonOption())
  .addHelpText(
    'after',
    `\nExample:\n  npm run -s keys -- revoke-all --client acme --reason "incident 2026-11-23"\n${STANDARD_EXITS}`,
  )
  .action(async (options: { client: string; reason: string; json?: boolean }) => {
    const revoked = await withKeys(await loadCliConfig(), { pepper: false }, (keysFor) =>
      keysFor().revokeAll(options.client, options.reason, actor()),
    );
    emit(options.json, { revoked }, () => `revoked ${revoked} key(s) of client ${options.client}`);
  });

program
  .command('audit')
  .description('show the most recent audit events, newest first')
  .option('--limit <n>', 'how many events (1-10000)', integerIn(1, 10_000, 'events'), 50)
  .addOption(jsonOption())
  .addHelpText('after', `\nExample:\n  npm run -s keys -- audit --limit 200 --json\n${STANDARD_EXITS}`)
  .action(async (options: { limit: number; json?: boolean }) => {
    const events = await withKeys(await loadCliConfig(), { pepper: false }, (keysFor) =>
      keysFor().recentAudit(options.limit),
    );
    emit(options.json, events, () => auditTable(events));
  });

addScanCommand(program);

await runProgram(program);
