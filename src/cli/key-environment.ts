/**
 * Which keys `keys create` makes, sy_live_ or sy_test_: said by a flag or by API_KEY_ENVIRONMENT,
 * test by default outside production, never guessed in production.
 */
import type { KeyEnvironment } from '../auth/api-key-format.js';
import type { Config } from '../config.js';
import { note, usageError } from './program.js';

/** The key-environment paragraph of `keys create --help`. */
export const ENVIRONMENT_HELP = `
Key environment (sy_live_ or sy_test_):
  A gateway accepts only the keys of its environment (API_KEY_ENVIRONMENT; live in production).
  --live or --test says which key to make. Without either, the key follows API_KEY_ENVIRONMENT
  when it is set, else it is a test key outside production; with NODE_ENV=production and no
  API_KEY_ENVIRONMENT one of --live/--test is required. A flag that contradicts
  API_KEY_ENVIRONMENT is refused.
`;

/**
 * The environment of the keys to make: the flag, else API_KEY_ENVIRONMENT, else test outside
 * production; never a silent guess in production, never against API_KEY_ENVIRONMENT.
 */
export function keyEnvironment(
  flags: { live?: boolean | undefined; test?: boolean | undefined },
  env: NodeJS.ProcessEnv,
  config: Pick<Config, 'production' | 'apiKeyEnvironment'>,
): KeyEnvironment {
  const flag: KeyEnvironment | undefined = flags.live ? 'live' : flags.test ? 'test' : undefined;
  const configured = env.API_KEY_ENVIRONMENT as KeyEnvironment | undefined;
  if (flag && configured && flag !== configured)
    throw usageError(
      `--${flag} contradicts API_KEY_ENVIRONMENT=${configured}: gateways with it accept only sy_${configured}_ keys (drop --${flag} or fix API_KEY_ENVIRONMENT)`,
    );
  if (flag) {
    if (flag !== config.apiKeyEnvironment)
      note(
        `warning: making a ${flag} key, but a gateway with this environment accepts only ${config.apiKeyEnvironment} keys (API_KEY_ENVIRONMENT unset, NODE_ENV=${config.production ? 'production' : 'not production'})`,
      );
    return flag;
  }
  if (configured) return configured;
  if (config.production)
    throw usageError(
      'NODE_ENV=production: say which key to make, --live (sy_live_, what production gateways accept) or --test',
    );
  return 'test';
}
