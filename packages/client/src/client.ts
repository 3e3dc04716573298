/**
 * The Switchyard client: GraphQL over HTTP with an API key; mutations signed (RFC 9421); the clock
 * corrected from the server's Date header (where the runtime can read it); 429 answered by waiting
 * Retry-After; transient failures retried only when repeating cannot act twice; key rotation
 * followed (next key on `Sunset`, `KEY_DEPRECATED` or `KEY_EXPIRED`); resumable subscriptions.
 */
import { utf8 } from './encoding.js';
import {
  type PlaceOrderInput,
  WebPlaceOrderDocument,
  type WebPlaceOrderMutation,
} from './generated/graphql.js';
import { operationKind } from './operation.js';
import { errorCodes, type GatewayWarning, type GraphQLResult, retryAfterMs } from './result.js';
import { newNonce, signRequest } from './sign.js';
import type { SigningKey } from './signing-key.js';
import {
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandlers,
  subscribeSse,
} from './subscribe.js';
import type { DocumentTypeDecoration } from './typed-document.js';
import type { WebCrypto } from './webcrypto.js';

export interface Credentials {
  apiKey: string;
  /** Needed for mutations: the signing credential registered on an API key of the same client. */
  signingKey?: SigningKey | undefined;
}

export interface SwitchyardClientOptions extends Credentials {
  /** The GraphQL endpoint, e.g. https://api.example.com/graphql. */
  url: string;
  /** The key to move to during a rotation: used from the first answer carrying `Sunset`, `KEY_DEPRECATED` or `KEY_EXPIRED`. */
  next?: Credentials | undefined;
  /** Retries of a failed request that is safe to repeat (network error, 502/503/504, UPSTREAM_* or SERVICE_UNAVAILABLE). @default 2 */
  retries?: number | undefined;
  /** First retry delay in ms, doubled each time, with jitter. @default 200 */
  retryDelayMs?: number | undefined;
  /** Times a request refused with 429 is sent again after its Retry-After. @default 1 */
  rateLimitRetries?: number | undefined;
  /** A 429 asking to wait longer than this is returned at once (with `retryAfterMs`), not waited for. @default 10000 */
  maxRetryAfterMs?: number | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
  /** WebCrypto for nonces and digests. @default globalThis.crypto */
  crypto?: WebCrypto | undefined;
  /** Extra headers on every request (never overriding the SDK's own). */
  headers?: Record<string, string> | undefined;
  /** Told when the client switches to the next key. */
  onKeySwitch?: ((apiKeyId: string) => void) | undefined;
  /** Told (once per replacement) when the gateway says the key in use was rotated and no `next` key is set. */
  onKeyDeprecated?: ((warning: GatewayWarning) => void) | undefined;
  /** The local clock. @default Date.now */
  now?: (() => number) | undefined;
}

export interface RequestOptions {
  operationName?: string | undefined;
  /** The operation may be repeated safely (a mutation otherwise counts as idempotent only when it carries a clientOrderId). */
  idempotent?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** A GraphQL document: a string, or a typed document from the generated operations. */
export type Document<TResult, TVariables> =
  | string
  | (DocumentTypeDecoration<TResult, TVariables> & { toString(): string });

/** placeOrder's input; clientOrderId is generated when omitted (and returned, to look the order up). */
export type PlaceOrderRequest = Omit<PlaceOrderInput, 'clientOrderId'> & {
  clientOrderId?: string | undefined;
};

const RETRYABLE_CODES = new Set(['UPSTREAM_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'UPSTREAM_TIMEOUT']);

/** The key id part of an API key (`sy_<env>_<keyId>_…`). */
export function apiKeyId(apiKey: string): string {
  return apiKey.split('_')[2] ?? '';
}

/** Creates a client for one gateway endpoint. */
export function createSwitchyardClient(options: SwitchyardClientOptions) {
  const {
    url,
    retries = 2,
    retryDelayMs = 200,
    rateLimitRetries = 1,
    maxRetryAfterMs = 10_000,
    crypto,
    onKeySwitch,
    onKeyDeprecated,
    now = Date.now,
  } = options;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let current: Credentials = { apiKey: options.apiKey, signingKey: options.signingKey };
  let next = options.next;
  const deprecationsSeen = new Set<string>();
  /** Server time minus local time, in ms, from the latest readable Date header. */
  let clockOffsetMs = 0;

  const switchKey = (): boolean => {
    if (!next) return false;
    current = next;
    next = undefined;
    onKeySwitch?.(apiKeyId(current.apiKey));
    return true;
  };

  /** Follows a rotation from what an answer says: Sunset header or KEY_DEPRECATED warning. */
  const noteDeprecation = (response: Response, warnings: GatewayWarning[]) => {
    const warning = warnings.find((w) => w.code === 'KEY_DEPRECATED');
    if (!response.headers.get('sunset') && !warning) return;
    if (switchKey()) return;
    const replacedBy = String(warning?.replacedBy ?? '');
    if (warning && !deprecationsSeen.has(replacedBy)) {
      deprecationsSeen.add(replacedBy);
      onKeyDeprecated?.(warning);
    }
  };

  const noteDate = (response: Response) => {
    // Browsers hide Date from cross-origin pages unless the gateway exposes it: then no correction.
    const serverDate = response.headers.get('date');
    const parsed = serverDate ? Date.parse(serverDate) : Number.NaN;
    if (!Number.isNaN(parsed)) clockOffsetMs = parsed + 500 - now(); // 1 s resolution: aim mid-second
  };

  const authHeaders = async (body: string, signed: boolean): Promise<Record<string, string>> => {
    const headers: Record<string, string> = {
      ...options.headers,
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      'x-api-key': current.apiKey,
    };
    if (!signed) return headers;
    if (!current.signingKey) throw new Error('mutations need a signingKey (RFC 9421 signatures)');
    const signature = await signRequest({
      method: 'POST',
      url,
      body: utf8(body),
      contentType: headers['content-type']!,
      key: current.signingKey,
      created: Math.floor((now() + clockOffsetMs) / 1000),
      nonce: newNonce(crypto),
      ...(crypto ? { crypto } : {}),
    });
    return { ...headers, ...signature };
  };

  async function send(body: string, signed: boolean, signal: AbortSignal | undefined) {
    const headers = await authHeaders(body, signed);
    // The string goes out as the same UTF-8 bytes the digest and signature were computed over.
    const response = await doFetch(url, { method: 'POST', headers, body, ...(signal ? { signal } : {}) });
    noteDate(response);
    let parsed: Omit<GraphQLResult, 'status'>;
    try {
      parsed = (await response.json()) as Omit<GraphQLResult, 'status'>;
    } catch {
      parsed = {
        errors: [
          { message: `non-JSON answer (HTTP ${response.status})`, extensions: { code: 'BAD_RESPONSE' } },
        ],
      };
    }
    const wait = retryAfterMs(response.headers.get('retry-after'), now());
    const result: GraphQLResult = {
      ...parsed,
      status: response.status,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    };
    return { response, result };
  }

  async function request<TResult = { [key: string]: unknown }, TVariables = { [key: string]: unknown }>(
    document: Document<TResult, TVariables>,
    variables?: TVariables,
    requestOptions: RequestOptions = {},
  ): Promise<GraphQLResult<TResult>> {
    const { operationName, signal } = requestOptions;
    const query = document.toString();
    const signed = operationKind(query, operationName) === 'mutation';
    const body = JSON.stringify({ query, variables, operationName });
    // A mutation is repeated only when repeating cannot act twice: it carries an idempotency key.
    const retryable = !signed || (requestOptions.idempotent ?? body.includes('"clientOrderId"'));
    let rateLimited = 0;
    for (let attempt = 0; ; attempt++) {
      let outcome: Awaited<ReturnType<typeof send>>;
      try {
        outcome = await send(body, signed, signal);
      } catch (err) {
        if (signal?.aborted || !retryable || attempt >= retries) throw err;
        await delay(backoff(retryDelayMs, attempt), signal);
        continue;
      }
      const { response, result } = outcome;
      const codes = errorCodes(result);
      if (codes.includes('KEY_EXPIRED') && switchKey()) {
        attempt--; // not a failure of the request: the same attempt with the next key
        continue;
      }
      noteDeprecation(response, result.extensions?.warnings ?? []);
      // A 429 refuses the whole operation before anything runs: sending it again is always safe.
      if (response.status === 429 && rateLimited < rateLimitRetries) {
        const wait = result.retryAfterMs ?? backoff(retryDelayMs, rateLimited);
        if (wait <= maxRetryAfterMs) {
          rateLimited++;
          attempt--;
          await delay(wait, signal);
          continue;
        }
      }
      const transient = response.status >= 502 || codes.some((code) => RETRYABLE_CODES.has(code));
      if (retryable && transient && attempt < retries) {
        await delay(Math.min(result.retryAfterMs ?? backoff(retryDelayMs, attempt), maxRetryAfterMs), signal);
        continue;
      }
      return result as GraphQLResult<TResult>;
    }
  }

  return {
    /** The clock offset the client applies to `created` (server minus local, ms). */
    clockOffsetMs: () => clockOffsetMs,
    /** The API key currently in use. */
    currentApiKey: () => current.apiKey,
    /** Sets the key to move to at the next rotation signal (replaces any earlier one). */
    setNextKey(credentials: Credentials | undefined) {
      next = credentials;
    },

    /**
     * Runs a query or mutation. Mutations are signed; a failed one is repeated (fresh nonce, same
     * body) only when the failure is transient and the mutation is idempotent — it carries a
     * clientOrderId (a retry then returns the same order), or `idempotent: true` says so.
     */
    request,

    /**
     * Places an order, idempotently: the clientOrderId (generated when not given) makes every retry
     * return the same order. After an ambiguous failure (`UPSTREAM_TIMEOUT` with `ambiguous: true`,
     * or a network error), call placeOrder again with the same clientOrderId.
     */
    async placeOrder<TResult = WebPlaceOrderMutation>(
      input: PlaceOrderRequest,
      placeOptions: { document?: Document<TResult, { input: PlaceOrderInput }>; signal?: AbortSignal } = {},
    ): Promise<GraphQLResult<TResult> & { clientOrderId: string }> {
      const clientOrderId = input.clientOrderId ?? `sdk-${newNonce(crypto)}`;
      const document = (placeOptions.document ?? WebPlaceOrderDocument) as Document<
        TResult,
        { input: PlaceOrderInput }
      >;
      const result = await request(
        document,
        { input: { ...input, clientOrderId } },
        {
          idempotent: true,
          signal: placeOptions.signal,
        },
      );
      return { ...result, clientOrderId };
    },

    /**
     * Subscribes over SSE (GraphQL over SSE, POST with Accept: text/event-stream). With `resume`,
     * a stream that ends with RECONNECT or SLOW_CONSUMER, or drops, is opened again with the last
     * cursor received.
     */
    subscribe<TResult = { [key: string]: unknown }, TVariables = { [key: string]: unknown }>(
      document: Document<TResult, TVariables>,
      variables: TVariables,
      handlers: SubscriptionHandlers<TResult>,
      subscribeOptions: SubscribeOptions<TResult> = {},
    ): Subscription {
      return subscribeSse<TResult>({
        url,
        fetch: doFetch,
        query: document.toString(),
        variables: (variables ?? {}) as { [key: string]: unknown },
        headers: () => ({ ...options.headers, 'x-api-key': current.apiKey }),
        onKeyExpired: switchKey,
        handlers,
        options: { retryDelayMs, ...subscribeOptions },
        now,
      });
    },
  };
}

export type SwitchyardClient = ReturnType<typeof createSwitchyardClient>;

function backoff(baseMs: number, attempt: number): number {
  return baseMs * 2 ** attempt * (0.5 + Math.random());
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
