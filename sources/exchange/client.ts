/**
 * Typed client of the exchange's private REST API (openapi.yaml) over an injected HttpUpstream.
 *
 * Signing done the exchange's way: the query string carries `timestamp` (the exchange's clock, as
 * learned from its server-time endpoint and refreshed) and `recvWindow`, and last the lowercase hex
 * HMAC-SHA256 of the query under the key's secret. The secret is opened only for the moment of
 * signing (`ExchangeCredential.use`) and wiped after. A refusal for the timestamp resyncs the clock
 * and retries once; reads are retried by the upstream's resilience policy; nothing else is retried.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { UpstreamCallOptions } from '../../src/upstream/call.js';
import { isUpstreamError, UpstreamError } from '../../src/upstream/errors.js';
import type { HttpUpstream } from '../../src/upstream/http.js';
import {
  type ExchangeBalanceRow,
  type ExchangePermissions,
  MAX_PRICE_ASSETS,
  RECV_WINDOW_MS,
} from './types.js';

/** The exchange's error codes (openapi.yaml) the gateway acts on. */
export const exchangeErrorCodes = {
  /** Unknown or deleted key, address not allowed, permission missing. */
  invalidKey: -2015,
  /** Signature missing or wrong (a wrong secret). */
  invalidSignature: -1022,
  /** Timestamp outside the receive window (our clock drifted from the exchange's). */
  outsideRecvWindow: -1021,
} as const;

/**
 * A key the client may sign with, without holding its secret: `use` opens it, hands key and secret
 * to `sign` and wipes the secret when `sign` returns (synchronously: it never waits with it open).
 */
export interface ExchangeCredential {
  use<T>(sign: (apiKey: string, secret: Buffer) => T): T;
}

export interface ExchangeClient {
  /** The exchange's clock, epoch ms. */
  serverTime(options?: UpstreamCallOptions): Promise<number>;
  /** What the key may do. A refused key throws BAD_USER_INPUT with `exchangeCodeOf` set. */
  permissions(credential: ExchangeCredential, options?: UpstreamCallOptions): Promise<ExchangePermissions>;
  /** The account's balances. A refused key throws as for permissions. */
  balances(credential: ExchangeCredential, options?: UpstreamCallOptions): Promise<ExchangeBalanceRow[]>;
  /** USD prices of assets at the exchange (public; more than MAX_PRICE_ASSETS go out in chunks). */
  prices(assets: readonly string[], options?: UpstreamCallOptions): Promise<Map<string, string>>;
  /** Resolves when `GET /healthz` answers 2xx. */
  ping(signal: AbortSignal): Promise<void>;
}

/** The exchange's own error code of a refused call (`{ code, msg }`), if it said one. */
export function exchangeCodeOf(err: unknown): number | undefined {
  if (!isUpstreamError(err)) return undefined;
  const parsed = z.object({ code: z.number().int() }).safeParse(err.body);
  return parsed.success ? parsed.data.code : undefined;
}

const decimal = z.string().regex(/^\d{1,20}(?:\.\d{1,18})?$/);
const permissionsBody = z.object({
  read: z.boolean(),
  trade: z.boolean(),
  withdraw: z.boolean(),
  ipRestricted: z.boolean(),
});
const accountBody = z.object({
  balances: z.array(z.object({ asset: z.string().max(64), free: decimal, locked: decimal })).max(10_000),
});
const pricesBody = z.object({ prices: z.array(z.object({ asset: z.string(), usd: decimal })) });
const timeBody = z.object({ serverTime: z.number().int().positive() });

/** How long a learned clock offset is trusted before it is learned again. */
const CLOCK_REFRESH_MS = 10 * 60_000;

export interface ExchangeClientOptions {
  /** Local clock, epoch ms. @default Date.now */
  now?: () => number;
}

/** Creates the client; it keeps the learned clock offset of the exchange. */
export function createExchangeClient(
  upstream: HttpUpstream,
  { now = Date.now }: ExchangeClientOptions = {},
): ExchangeClient {
  const contractError = (route: string) =>
    new UpstreamError('UPSTREAM_UNAVAILABLE', upstream.name, `unexpected body shape from GET ${route}`);

  async function getParsed<T>(
    path: string,
    route: string,
    schema: z.ZodType<T>,
    options?: object,
  ): Promise<T> {
    const body = await upstream.getJson<unknown>(path, { ...options, route, clientErrors: true });
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw contractError(route);
    return parsed.data;
  }

  async function serverTime(options?: UpstreamCallOptions): Promise<number> {
    return (await getParsed('/api/v1/time', '/api/v1/time', timeBody, options)).serverTime;
  }

  // The exchange's clock minus ours, learned from its server time (half the round trip added).
  let offset: { ms: number; learnedAt: number } | undefined;
  let learning: Promise<void> | undefined;
  function learnOffset(options?: UpstreamCallOptions): Promise<void> {
    learning ??= (async () => {
      const sent = now();
      const server = await serverTime(options);
      const received = now();
      offset = { ms: server - Math.round((sent + received) / 2), learnedAt: received };
    })().finally(() => {
      learning = undefined;
    });
    return learning;
  }
  async function exchangeNow(options?: UpstreamCallOptions): Promise<number> {
    if (!offset || now() - offset.learnedAt > CLOCK_REFRESH_MS) await learnOffset(options);
    return now() + (offset?.ms ?? 0);
  }

  /** A signed GET; a timestamp refusal resyncs the clock and tries once more. */
  async function signedGet<T>(
    route: string,
    schema: z.ZodType<T>,
    credential: ExchangeCredential,
    options?: UpstreamCallOptions,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const query = `timestamp=${await exchangeNow(options)}&recvWindow=${RECV_WINDOW_MS}`;
      const { apiKey, signature } = credential.use((key, secret) => ({
        apiKey: key,
        signature: createHmac('sha256', secret).update(query).digest('hex'),
      }));
      try {
        return await getParsed(`${route}?${query}&signature=${signature}`, route, schema, {
          ...options,
          headers: { 'x-ex-apikey': apiKey },
        });
      } catch (err) {
        if (attempt > 1 || exchangeCodeOf(err) !== exchangeErrorCodes.outsideRecvWindow) throw err;
        await learnOffset(options);
      }
    }
  }

  async function pricesChunk(assets: readonly string[], options?: UpstreamCallOptions) {
    const path = `/api/v1/ticker/price?assets=${assets.map(encodeURIComponent).join(',')}`;
    return (await getParsed(path, '/api/v1/ticker/price', pricesBody, options)).prices;
  }

  return {
    serverTime,
    permissions: (credential, options) =>
      signedGet('/api/v1/key-permissions', permissionsBody, credential, options),
    async balances(credential, options) {
      return (await signedGet('/api/v1/account', accountBody, credential, options)).balances;
    },
    async prices(assets, options) {
      const chunks: string[][] = [];
      for (let i = 0; i < assets.length; i += MAX_PRICE_ASSETS)
        chunks.push(assets.slice(i, i + MAX_PRICE_ASSETS));
      const answers = await Promise.all(chunks.map((chunk) => pricesChunk(chunk, options)));
      return new Map(answers.flat().map((p) => [p.asset, p.usd]));
    },
    async ping(signal) {
      await upstream.getJson('/healthz', { signal, route: '/healthz' });
    },
  };
}
