/**
 * `keys create`: every value checked before the stores are touched, the key environment explicit,
 * and a trading key refused with the options that would make it pass.
 */
import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import type { CreateKeyInput } from '../keys/policy.js';
import { ENVIRONMENT_HELP, keyEnvironment } from './key-environment.js';
import { withKeys } from './key-store.js';
import { describeKey, summary } from './keys-format.js';
import {
  cidrList,
  ed25519PublicKey,
  futureDate,
  hmacSecretProblem,
  integerIn,
  scopeList,
} from './options.js';
import {
  COMMON_EXIT_CODES,
  emit,
  exitCodesHelp,
  jsonOption,
  loadCliConfig,
  note,
  usageError,
} from './program.js';

/** The key service's maxTradeKeyDays default, which neither the gateways nor this CLI change. */
const TRADE_KEY_MAX_DAYS = 90;
const DAY_MS = 86_400_000;

interface CreateOptions {
  client: string;
  name: string;
  scopes?: string[];
  plan?: string;
  expiresDays?: number;
  expiresAt?: Date;
  cidrs?: string[];
  ed25519PublicKey?: string;
  hmacSecret?: string;
  live?: boolean;
  test?: boolean;
  json?: boolean;
}

/** Refuses a trading key that the risk policy or the signature rule would leave unusable. */
async function assertTradingKey(input: CreateKeyInput, at: number): Promise<void> {
  const { assertTradeKeyPolicy, validateCreation } = await import('../keys/policy.js');
  let creation: ReturnType<typeof validateCreation>;
  try {
    creation = validateCreation(input, at);
  } catch (err) {
    const argument = (err as { extensions?: { argument?: string } }).extensions?.argument;
    const option = { allowedCidrs: '--cidrs', clientId: '--client', name: '--name' }[argument ?? ''];
    throw usageError(`${option ?? argument}: ${(err as Error).message}`);
  }
  if (!creation.scopes.includes('trade:write')) return;
  const missing: string[] = [];
  try {
    assertTradeKeyPolicy(creation, at, TRADE_KEY_MAX_DAYS);
  } catch {
    missing.push(
      `--cidrs with a narrow IP allowlist (at most a /8 of IPv4 and a /32 of IPv6 in all, e.g. --cidrs 203.0.113.7/32) or --expires-days ${TRADE_KEY_MAX_DAYS} or less`,
    );
  }
  if (!input.signing)
    missing.push(
      'a signing credential, --ed25519-public-key or --hmac-secret (every mutation, placeOrder included, must be signed)',
    );
  if (missing.length > 0)
    throw usageError(
      `--scopes trade:write: a trading key needs ${missing.join('; and ')}. See keys create --help for the openssl commands that make a key pair or secret.`,
    );
}

/** Adds `create` to the keys program. */
export function addCreateCommand(program: Command): void {
  program
    .command('create')
    .description('create an API key; prints it once (Switchyard stores only a hash)')
    .requiredOption('--client <id>', 'client id (1-64 letters, digits, ".", "-", "_")')
    .requiredOption('--name <name>', 'what the key is for (1-100 characters)')
    .option('--scopes <list>', 'comma-separated scopes (default market:read,portfolio:read)', scopeList)
    .option('--plan <plan>', 'rate-limit plan, one of RATE_LIMIT_PLANS (default free)')
    .addOption(
      new Option('--expires-days <days>', 'expire this many days from now (1-3650; default never)')
        .argParser(integerIn(1, 3650, 'days'))
        .conflicts('expiresAt'),
    )
    .option('--expires-at <date>', 'expire at this date (2027-01-31 or an ISO time with a zone)', futureDate)
    .option('--cidrs <list>', 'comma-separated IP allowlist (203.0.113.0/24,2001:db8::/48)', cidrList)
    .addOption(
      new Option(
        '--ed25519-public-key <base64>',
        'Ed25519 public key for signed mutations (SPKI DER, base64)',
      )
        .argParser(ed25519PublicKey)
        .conflicts('hmacSecret'),
    )
    .option('--hmac-secret <base64>', 'HMAC-SHA256 secret for signed mutations (base64, at least 32 bytes)')
    .addOption(
      new Option('--live', 'make a live key (sy_live_…), what production gateways accept').conflicts('test'),
    )
    .addOption(new Option('--test', 'make a test key (sy_test_…)').conflicts('live'))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `${ENVIRONMENT_HELP}
Trading keys (scope trade:write) need both:
  - --cidrs with a narrow allowlist (at most a /8 of IPv4 and a /32 of IPv6 in all), or
    --expires-days ${TRADE_KEY_MAX_DAYS} or less (or an --expires-at within ${TRADE_KEY_MAX_DAYS} days);
  - a signing credential, --ed25519-public-key or --hmac-secret: every mutation must be signed.

A signing credential:
  Ed25519 (the client keeps signer.pem; the key records the public half):
    openssl genpkey -algorithm ed25519 -out signer.pem
    openssl pkey -in signer.pem -pubout -outform DER | base64 | tr -d '\\n'
  HMAC-SHA256 (a shared secret: give the same value to the client):
    openssl rand -base64 32

Examples:
  npm run -s keys -- create --client acme --name dashboard --test
  npm run -s keys -- create --client acme --name "trading bot" --scopes market:read,trade:write \\
    --expires-days 90 --live --json \\
    --ed25519-public-key "$(openssl pkey -in signer.pem -pubout -outform DER | base64 | tr -d '\\n')"
${exitCodesHelp([COMMON_EXIT_CODES.ok, COMMON_EXIT_CODES.failure, COMMON_EXIT_CODES.usage])}`,
    )
    .action(async (options: CreateOptions) => {
      const at = Date.now();
      const config = await loadCliConfig();
      const plans = Object.keys(config.rateLimitPlans);
      const plan = options.plan ?? 'free';
      if (!plans.includes(plan))
        throw usageError(
          `--plan ${plan}: not a configured plan; RATE_LIMIT_PLANS has ${plans.join(', ')}${options.plan ? '' : ' (pass --plan)'}`,
        );
      const secretProblem = options.hmacSecret === undefined ? null : hmacSecretProblem(options.hmacSecret);
      if (secretProblem) throw usageError(secretProblem);
      const environment = keyEnvironment(options, process.env, config);
      const expiresAt = options.expiresDays ? new Date(at + options.expiresDays * DAY_MS) : options.expiresAt;
      const input: CreateKeyInput = {
        clientId: options.client,
        name: options.name,
        scopes: options.scopes,
        plan,
        expiresAt: expiresAt ?? null,
        allowedCidrs: options.cidrs ?? null,
        signing: options.ed25519PublicKey
          ? { type: 'ed25519', publicKey: options.ed25519PublicKey }
          : options.hmacSecret
            ? { type: 'hmac-sha256', secret: options.hmacSecret }
            : null,
      };
      await assertTradingKey(input, at);
      const scopes = input.scopes ?? [];
      if (!input.signing && (scopes.includes('keys:self') || scopes.includes('keys:admin')))
        note(
          'note: without --ed25519-public-key or --hmac-secret this key cannot make mutations (they must be signed)',
        );
      const { key, record } = await withKeys(config, { pepper: true }, (keysFor) =>
        keysFor(environment).create(input, `cli:${userInfo().username}`),
      );
      const apiKey = summary(record);
      emit(options.json, { key, note: 'Shown once: Switchyard stores only a hash.', apiKey }, () =>
        [
          `created ${describeKey(apiKey)}`,
          '',
          'The key, shown once (Switchyard stores only a hash):',
          key,
        ].join('\n'),
      );
    });
}
