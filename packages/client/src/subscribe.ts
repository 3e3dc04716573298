/**
 * Subscriptions over GraphQL over SSE with resume: a stream that ends with RECONNECT (instance
 * shutting down), SLOW_CONSUMER (too far behind), UPSTREAM_UNAVAILABLE, or drops without
 * `complete`, is opened again — with the last cursor as the resume variable when `resume` says how
 * to read it — after a short, growing, jittered delay. 429 waits Retry-After; KEY_EXPIRED moves to
 * the next key. Needs a fetch whose Response has a streaming `body` (React Native: expo/fetch).
 */
import { errorCodes, type GraphQLErrorShape, retryAfterMs } from './result.js';
import { readSse } from './sse.js';

/** Codes after which subscribing again (from the last cursor) is the documented recovery. */
export const RESUMABLE_CODES: ReadonlySet<string> = new Set([
  'RECONNECT',
  'SLOW_CONSUMER',
  'UPSTREAM_UNAVAILABLE',
]);

export interface SubscriptionPayload<TResult> {
  data?: TResult | null;
  errors?: GraphQLErrorShape[];
}

export interface SubscriptionHandlers<TResult> {
  /** Each event, in order. */
  onNext(payload: SubscriptionPayload<TResult>): void;
  /** The subscription ended with an error it cannot recover from (refused, revoked, too many reconnects). */
  onError?(errors: GraphQLErrorShape[]): void;
  /** The server completed the subscription. */
  onComplete?(): void;
  /** Told before each reconnect, with the code (or `NETWORK`) that caused it. */
  onReconnect?(reason: string, attempt: number): void;
}

export interface SubscribeOptions<TResult> {
  /** How to resume: the variable to set, and where the cursor is in an event. */
  resume?: { variable: string; cursor(data: TResult): string | null | undefined } | undefined;
  /** Reconnects in a row without an event in between before giving up. @default 10 */
  maxReconnects?: number | undefined;
  /** First reconnect delay in ms (doubled per reconnect in a row, with jitter, at most 30 s). @default 200 */
  retryDelayMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface Subscription {
  /** Ends the subscription (no more handler calls). */
  close(): void;
  /** Settles when the subscription has ended for good (completed, failed or closed). */
  readonly done: Promise<void>;
  /** The last cursor received (with `resume`). */
  cursor(): string | undefined;
}

interface SubscribeSseInput<TResult> {
  url: string;
  fetch: typeof fetch;
  query: string;
  variables: { [key: string]: unknown };
  headers(): Record<string, string>;
  onKeyExpired(): boolean;
  handlers: SubscriptionHandlers<TResult>;
  options: SubscribeOptions<TResult>;
  now(): number;
}

type Outcome =
  | { kind: 'complete' }
  | { kind: 'failed'; errors: GraphQLErrorShape[] }
  | { kind: 'again'; reason: string; waitMs?: number };

/** Opens a subscription and keeps it open across resumable ends. */
export function subscribeSse<TResult>(input: SubscribeSseInput<TResult>): Subscription {
  const { handlers, options } = input;
  const { maxReconnects = 10, retryDelayMs = 200, resume } = options;
  const abort = new AbortController();
  options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const variables = { ...input.variables };
  let cursor = resume ? (variables[resume.variable] as string | undefined) : undefined;

  async function once(): Promise<Outcome> {
    const response = await input.fetch(input.url, {
      method: 'POST',
      headers: { ...input.headers(), 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: input.query, variables }),
      signal: abort.signal,
    });
    const isStream = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
    if (!isStream || !response.body) {
      // Refused before any stream opened: a GraphQL response.
      const result = (await response.json().catch(() => ({}))) as { errors?: GraphQLErrorShape[] };
      const errors = result.errors ?? [{ message: `subscription refused (HTTP ${response.status})` }];
      const codes = errorCodes({ errors });
      const wait = retryAfterMs(response.headers.get('retry-after'), input.now());
      if (codes.includes('KEY_EXPIRED') && input.onKeyExpired())
        return { kind: 'again', reason: 'KEY_EXPIRED', waitMs: 0 };
      if (response.status === 429 && wait !== undefined)
        return { kind: 'again', reason: 'RATE_LIMITED', waitMs: wait };
      if (
        response.status >= 502 ||
        codes.some((code) => RESUMABLE_CODES.has(code) || code === 'SERVICE_UNAVAILABLE')
      )
        return {
          kind: 'again',
          reason: codes[0] || `HTTP_${response.status}`,
          ...(wait === undefined ? {} : { waitMs: wait }),
        };
      return { kind: 'failed', errors };
    }
    for await (const event of readSse(response.body)) {
      if (event.event === 'complete') return { kind: 'complete' };
      if (event.event !== 'next' || !event.data) continue;
      const payload = JSON.parse(event.data) as SubscriptionPayload<TResult>;
      const codes = errorCodes(payload);
      const resumable = codes.find((code) => RESUMABLE_CODES.has(code));
      if (resumable) return { kind: 'again', reason: resumable };
      if (codes.includes('KEY_EXPIRED') && input.onKeyExpired())
        return { kind: 'again', reason: 'KEY_EXPIRED', waitMs: 0 };
      if (payload.errors?.length && (payload.data === undefined || payload.data === null))
        return { kind: 'failed', errors: payload.errors };
      if (resume && payload.data) {
        const next = resume.cursor(payload.data);
        if (next) {
          cursor = next;
          variables[resume.variable] = next;
        }
      }
      failures = 0;
      handlers.onNext(payload);
    }
    return { kind: 'again', reason: 'NETWORK' }; // ended without `complete`: dropped
  }

  let failures = 0;
  const done = (async () => {
    while (!abort.signal.aborted) {
      let outcome: Outcome;
      try {
        outcome = await once();
      } catch {
        if (abort.signal.aborted) return;
        outcome = { kind: 'again', reason: 'NETWORK' }; // connection refused, reset or dropped mid-stream
      }
      if (abort.signal.aborted) return;
      if (outcome.kind === 'complete') return handlers.onComplete?.();
      if (outcome.kind === 'failed') return handlers.onError?.(outcome.errors);
      failures++;
      if (failures > maxReconnects) {
        return handlers.onError?.([
          {
            message: `gave up after ${maxReconnects} reconnects in a row (${outcome.reason})`,
            extensions: { code: outcome.reason },
          },
        ]);
      }
      handlers.onReconnect?.(outcome.reason, failures);
      const waitMs =
        outcome.waitMs ?? Math.min(30_000, retryDelayMs * 2 ** (failures - 1) * (0.5 + Math.random()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        abort.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  })();

  return {
    close: () => abort.abort(),
    done,
    cursor: () => cursor,
  };
}
