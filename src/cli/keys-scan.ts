/** `keys scan`: finds leaked keys, says what it did not read, and revokes confirmed ones on request. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { withKeys } from './key-store.js';
import { integerIn } from './options.js';
import {
  COMMON_EXIT_CODES,
  EXIT,
  emit,
  exitCodesHelp,
  jsonOption,
  loadCliConfig,
  usageError,
} from './program.js';
import { type LeakOutcome, revokeConfirmed, type ScanReport, type SkippedPath, scanForKeys } from './scan.js';

interface ScanOptions {
  revoke?: boolean;
  reason?: string;
  allDirs?: boolean;
  maxFileMb: number;
  json?: boolean;
}

const WHY: Record<SkippedPath['reason'], string> = {
  dependencies: 'dependencies, not walked (--all-dirs to scan)',
  'version-control': 'version control, not walked (--all-dirs to scan)',
  symlink: 'symbolic link, not followed',
  binary: 'binary file',
  'too-large': 'too large (--max-file-mb to raise the limit)',
  unreadable: 'unreadable',
  'not-a-file': 'not a regular file',
};

function describeSkipped({ path, reason, detail }: SkippedPath): string {
  return `skipped ${path}: ${WHY[reason]}${detail ? ` (${detail})` : ''}`;
}

function describeLeak(leak: LeakOutcome): string {
  if (leak.outcome === 'revoked') return `revoked ${leak.keyId}`;
  if (leak.outcome === 'suspicious')
    return `suspicious: key ${leak.keyId} in ${leak.where.join(', ')} (does not match a stored key; nothing revoked)`;
  return `could not revoke ${leak.keyId}: ${leak.error}`;
}

function scan(paths: string[], options: ScanOptions): ScanReport {
  try {
    return scanForKeys(paths, {
      allDirs: options.allDirs ?? false,
      maxFileBytes: options.maxFileMb * 1024 * 1024,
    });
  } catch (err) {
    const failed = err as NodeJS.ErrnoException;
    if (failed.code === 'ENOENT') throw usageError(`${failed.path ?? 'a path'}: no such file or directory`);
    throw err;
  }
}

/** Adds `scan` to the keys program. */
export function addScanCommand(program: Command): void {
  program
    .command('scan')
    .description(
      'find Switchyard API keys in files and directories (build output such as dist/ included); never prints a key',
    )
    .argument('<paths...>', 'files or directories to scan')
    .option('--revoke', "revoke each found key that matches its stored hash (uses the gateways' stores)")
    .option('--reason <text>', 'revocation reason with --revoke (default: where the key was found)')
    .option('--all-dirs', 'also walk node_modules and .git (skipped by default, and reported)')
    .option('--max-file-mb <mib>', 'skip (and report) larger files', integerIn(1, 1024, 'MiB'), 10)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Reports every file and directory it did not read, and why: node_modules and .git (unless
--all-dirs), symbolic links inside a directory, binary files, files over --max-file-mb,
unreadable paths. A match is a string of the key format with a valid checksum; key ids are
public, so --revoke revokes only keys whose stored hash matches and reports the others as
suspicious.

Examples:
  npm run -s keys -- scan . --json
  npm run -s keys -- scan ./dist ./logs --revoke --reason "found in build output"
${exitCodesHelp([
  [EXIT.ok, 'no key found'],
  [EXIT.failure, '--revoke could not revoke a confirmed key, or the stores failed'],
  COMMON_EXIT_CODES.usage,
  [EXIT.found, 'keys were found (confirmed or suspicious; with --revoke, the confirmed ones were revoked)'],
])}`,
    )
    .action(async (paths: string[], options: ScanOptions) => {
      if (options.reason !== undefined && !options.revoke)
        throw usageError('--reason applies only with --revoke');
      const config = options.revoke ? await loadCliConfig() : undefined;
      // Each match carries the key string for confirmation; only its id and place are ever printed.
      const report = scan(paths, options);
      const { found, skipped, filesScanned } = report;
      if (!options.json) {
        const lines = [
          ...found.map((f) => `${f.file}:${f.line}: key ${f.keyId} (${f.environment})`),
          ...skipped.map(describeSkipped),
          `${found.length} key(s) found in ${filesScanned} file(s) scanned; ${skipped.length} path(s) skipped`,
        ];
        emit(false, null, () => lines.join('\n'));
      }
      let revocations: LeakOutcome[] | undefined;
      if (config && found.length > 0) {
        revocations = await withKeys(config, { pepper: true }, (keysFor) =>
          revokeConfirmed(found, keysFor(), { actor: `cli:${userInfo().username}`, reason: options.reason }),
        );
        if (!options.json) emit(false, null, () => revocations!.map(describeLeak).join('\n'));
      }
      if (options.json)
        emit(
          true,
          { keysFound: found.length, found, filesScanned, skipped, revocations: revocations ?? null },
          () => '',
        );
      process.exitCode = revocations?.some((r) => r.outcome === 'failed')
        ? EXIT.failure
        : found.length > 0
          ? EXIT.found
          : EXIT.ok;
    });
}
