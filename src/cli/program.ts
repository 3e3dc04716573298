/**
 * What every operator CLI shares: commander set up so that a usage error is a clear message, a
 * hint to --help and exit 2 (never a stack trace), the documented exit codes, and output that is
 * either human text or, with --json, one JSON document on stdout (messages always go to stderr).
 */
import { Command, CommanderError, Option } from 'commander';
import { pino } from 'pino';
import type { Config } from '../config.js';

/** The exit codes of every operator CLI; each command's --help lists the ones it can return. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed: refused by the key service, a store unreachable, a broken chain. */
  failure: 1,
  /** Nothing was done: unknown command or option, a bad value, a bad or missing configuration. */
  usage: 2,
  /** keys scan: API keys were found. */
  found: 3,
} as const;

/** A failure with its exit code and a message for the operator (printed without a stack). */
export class CliError extends Error {
  readonly code = 'CLI_ERROR';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A usage error (exit 2): the command line or the configuration is wrong, nothing was done. */
export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);

/** The "Exit codes:" epilogue of a command's --help. */
export function exitCodesHelp(codes: readonly (readonly [number, string])[]): string {
  return `\nExit codes:\n${codes.map(([code, meaning]) => `  ${code}  ${meaning}`).join('\n')}\n`;
}

/** The usual 0/1/2 rows of exitCodesHelp. */
export const COMMON_EXIT_CODES = {
  ok: [EXIT.ok, 'success'],
  failure: [EXIT.failure, 'failure (refused by the store, a store unreachable): nothing or part done'],
  usage: [EXIT.usage, 'usage error (unknown command or option, bad value, bad configuration): nothing done'],
} as const;

/** A root command whose subcommands inherit the error handling. */
export function createProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError();
}

/** `--json`: one JSON document on stdout. */
export const jsonOption = (): Option =>
  new Option('--json', 'print one JSON document on stdout (messages and warnings go to stderr)');

/** Writes a command's result: `value` as JSON with --json, else the human text. */
export function emit(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : ensureNewline(human()));
}

/** A message for the operator on stderr (never stdout: stdout is the result). */
export function note(message: string): void {
  process.stderr.write(ensureNewline(message));
}

const ensureNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/** A logger for the stores on stderr: stdout carries only the result. */
export const cliLogger = (level: 'warn' | 'silent' = 'warn') => pino({ level }, pino.destination(2));

/**
 * The gateways' configuration as this process has it; a bad one is a usage error. Loaded on use,
 * as are the stores: --help and usage errors answer at once.
 */
export async function loadCliConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const { ConfigError, loadConfig } = await import('../config.js');
  try {
    // The CLIs never call an upstream: production needs no upstream variables here.
    return loadConfig(env, undefined, { needsUpstreams: false });
  } catch (err) {
    if (err instanceof ConfigError) throw usageError(err.message);
    throw err;
  }
}

/**
 * Parses `argv` and runs the action; sets process.exitCode from what was thrown: commander's own
 * errors (already printed, with the --help hint) exit 2, a CliError its code, anything else 1. With
 * --json the error is also one JSON document on stdout, `{ "error": { "exitCode", "message" } }`.
 */
export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  const json = argv.slice(2).includes('--json');
  try {
    await program.parseAsync([...argv]);
    return;
  } catch (err) {
    let exitCode: number = EXIT.failure;
    let message: string;
    if (err instanceof CommanderError) {
      // Help and version exit 0; help shown because a command was missing is a usage error.
      if (err.exitCode === 0) return;
      exitCode = EXIT.usage;
      message = err.message.replace(/^error: /, '');
      if (err.code === 'commander.help') {
        message = 'a command is required';
        note(`${program.name()}: ${message}`);
      }
    } else {
      if (err instanceof CliError) exitCode = err.exitCode;
      message = err instanceof Error ? err.message : String(err);
      note(`${program.name()}: ${message}`);
    }
    if (json) process.stdout.write(`${JSON.stringify({ error: { exitCode, message } })}\n`);
    process.exitCode = exitCode;
  }
}
