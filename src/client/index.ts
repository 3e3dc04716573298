/**
 * The Switchyard client SDK for partners and bots: GraphQL over HTTP with an API key, signed
 * mutations (RFC 9421, Ed25519 or HMAC), clock-offset correction from the server's Date header,
 * safe retries of signed mutations (same body — so the same clientOrderId — and a fresh nonce),
 * and key rotation without downtime (switches to the next key on `Sunset` or `KEY_EXPIRED`).
 *
 *   import { createSwitchyardClient, ed25519SigningKey } from 'switchyard/client';
 *   const client = createSwitchyardClient({ url, apiKey, signingKey: ed25519SigningKey(keyId, pkcs8) });
 *   const { data } = await client.request(PLACE_ORDER, { input });
 */
import { getOperationAST, parse } from 'graphql';
import { type SigningKey, signRequest } from './sign.js';

export { ed25519SigningKey, newNonce, type SigningKey, signRequest } from './sign.js';

export interface Credentials {
  apiKey: string;
  /** Needed for mutations: the signing credential registered on an API key of the same client. */
  signingKey?: SigningKey | undefined;
}

export interface SwitchyardClientOptions extends Credentials {
  /** The GraphQL endpoint, e.g. https://api.example.com/graphql. */
  url: string;
  /** The key to move to during a rotation: used from the first answer carrying `Sunset` or `KEY_EXPIRED`. */
  next?: Credentials | undefined;
  /** Retries of a failed signed mutation (network error, 502/503/504, UPSTREAM_* or SERVICE_UNAVAILABLE). @default 2 */
  retries?: number;
  /** First retry delay in ms, doubled each time, with jitter. @default 200 */
  retryDelayMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Told when the client switches to the next key. */
  onKeySwitch?: (apiKeyId: string) => void;
  /** The local clock. @default Date.now */
  now?: () => number;
}

export interface GraphQLResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
  /** HTTP status of the answer. */
  status: number;
}

const RETRYABLE_CODES = new Set(['UPSTREAM_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'UPSTREAM_TIMEOUT']);

export function createSwitchyardClient(options: SwitchyardClientOptions) {
  const { url, retries = 2, retryDelayMs = 200, onKeySwitch, now = Date.now } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  let current: Credentials = { apiKey: options.apiKey, signingKey: options.signingKey };
  let next = options.next;
  /** Server time minus local time, in ms, from the latest Date header. */
  let clockOffsetMs = 0;

  const switchKey = () => {
    if (!next) return false;
    current = next;
    next = undefined;
    onKeySwitch?.(current.apiKey.split('_')[2] ?? '');
    return true;
  };

  async function send(body: Buffer, signed: boolean): Promise<{ response: Response; result: GraphQLResult }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      'x-api-key': current.apiKey,
    };
    if (signed) {
      if (!current.signingKey) throw new Error('mutations need a signingKey (RFC 9421 signatures)');
      Object.assign(
        headers,
        signRequest({
          method: 'POST',
          url,
          body,
          contentType: headers['content-type']!,
          key: current.signingKey,
          created: Math.floor((now() + clockOffsetMs) / 1000),
        }),
      );
    }
    // The string is the same UTF-8 bytes the digest and signature were computed over.
    const response = await doFetch(url, { method: 'POST', headers, body: body.toString('utf8') });
    const serverDate = response.headers.get('date');
    if (serverDate) clockOffsetMs = Date.parse(serverDate) + 500 - now(); // Date has 1 s resolution: aim mid-second
    const result = { ...((await response.json()) as Omit<GraphQLResult, 'status'>), status: response.status };
    return { response, result };
  }

  const codes = (result: GraphQLResult) => (result.errors ?? []).map((e) => String(e.extensions?.code ?? ''));

  return {
    /** The clock offset the client applies to `created` (server minus local, ms). */
    clockOffsetMs: () => clockOffsetMs,
    /** The API key currently in use. */
    currentApiKey: () => current.apiKey,

    /**
     * Runs a query or mutation. Mutations are signed; a failed one is retried (fresh nonce, same
     * body) only when the failure is transient and the mutation is idempotent — it carries a
     * clientOrderId (so a retry can never create a second order), or `idempotent: true` says so.
     */
    async request<T = Record<string, unknown>>(
      query: string,
      variables?: Record<string, unknown>,
      options: { operationName?: string; idempotent?: boolean } = {},
    ): Promise<GraphQLResult<T>> {
      const { operationName } = options;
      const operation = getOperationAST(parse(query), operationName);
      const signed = operation?.operation === 'mutation';
      const body = Buffer.from(JSON.stringify({ query, variables, operationName }));
      // A mutation is retried only when repeating it cannot act twice: it carries an idempotency key.
      const retryable = !signed || (options.idempotent ?? body.includes('"clientOrderId"'));
      for (let attempt = 0; ; attempt++) {
        let outcome: Awaited<ReturnType<typeof send>>;
        try {
          outcome = await send(body, signed);
        } catch (err) {
          if (!retryable || attempt >= retries) throw err;
          await delay(retryDelayMs, attempt);
          continue;
        }
        const { response, result } = outcome;
        const found = codes(result);
        if (found.includes('KEY_EXPIRED') && switchKey()) {
          attempt--; // not a failure of the request: same attempt, next key
          continue;
        }
        if (response.headers.get('sunset')) switchKey();
        const transient = response.status >= 502 || found.some((code) => RETRYABLE_CODES.has(code));
        if (retryable && transient && attempt < retries) {
          await delay(retryDelayMs, attempt);
          continue;
        }
        return result as GraphQLResult<T>;
      }
    },
  };
}

export type SwitchyardClient = ReturnType<typeof createSwitchyardClient>;

function delay(baseMs: number, attempt: number): Promise<void> {
  const ms = baseMs * 2 ** attempt * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
