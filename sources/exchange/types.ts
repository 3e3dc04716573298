/** The exchange upstream's shapes (openapi.yaml) and the settings of the source. */
import { z } from 'zod';

/** What an exchange API key may do, as the exchange's key-permissions endpoint says. */
export interface ExchangePermissions {
  readonly read: boolean;
  readonly trade: boolean;
  readonly withdraw: boolean;
  readonly ipRestricted: boolean;
}

/** One asset of an account (`asset` is the product's token id), amounts as decimal strings. */
export interface ExchangeBalanceRow {
  readonly asset: string;
  readonly free: string;
  readonly locked: string;
}

/** Most assets one ticker call accepts (openapi.yaml). */
export const MAX_PRICE_ASSETS = 100;

/** The window a signed request is valid for at the exchange, in ms. */
export const RECV_WINDOW_MS = 5000;

/** The source's variables (validated with the gateway's configuration at start). */
export const exchangeSettings = z.object({
  EXCHANGE_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'must be a lowercase name such as sandbox or binance' })
    .default('sandbox'),
  EXCHANGE_KEY_ROTATION_DAYS: z.coerce
    .number({ error: 'must be a number of days' })
    .int()
    .min(1)
    .max(3650)
    .default(90),
  EXCHANGE_UNRESTRICTED_KEYS: z
    .enum(['refuse', 'warn'], {
      error:
        'must be refuse (keys without an IP restriction are not linked) or warn (linked, with a warning)',
    })
    .default('refuse'),
});

export type ExchangeSettings = z.infer<typeof exchangeSettings>;
