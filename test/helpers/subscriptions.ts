import { createSseParser } from '../../src/upstream/sse.js';

/**
 * A GraphQL-over-SSE subscriber for tests: POSTs the operation with `Accept: text/event-stream`,
 * parses the stream (`event: next` / `event: complete`, comments as heartbeats) and hands each
 * `next` payload out in order.
 */

export interface SsePayload {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface SseSubscription {
  /** HTTP status of the response. */
  readonly status: number;
  readonly headers: Headers;
  /** The next `next` payload; null once the stream completed or closed. Fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SsePayload | null>;
  /** Payloads until one matches, or fails after `timeoutMs`. */
  until(match: (payload: SsePayload) => boolean, timeoutMs?: number): Promise<SsePayload>;
  /** Heartbeat comments seen so far. */
  readonly heartbeats: number;
  /** Whether the server sent `event: complete`. */
  readonly completed: boolean;
  /** Disconnects. */
  close(): void;
}

/** Opens a subscription over SSE. A non-stream answer (a refusal) is returned as `refusal`. */
export async function subscribeSse(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<SseSubscription & { refusal?: SsePayload }> {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const payloads: (SsePayload | null)[] = [];
  const waiters: (() => void)[] = [];
  let heartbeats = 0;
  let completed = false;
  let ended = false;
  const push = (payload: SsePayload | null) => {
    payloads.push(payload);
    for (const wake of waiters.splice(0)) wake();
  };
  const isStream = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  let refusal: SsePayload | undefined;
  if (!isStream) {
    refusal = (await response.json()) as SsePayload;
    ended = true;
  } else {
    void (async () => {
      const decoder = new TextDecoder();
      // Heartbeat comments are not events: counted from the raw text, the events by the gateway's parser.
      const parser = createSseParser();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          const text = decoder.decode(chunk, { stream: true });
          heartbeats += text.match(/^:/gm)?.length ?? 0;
          for (const event of parser.push(text)) {
            if (event.event === 'next' && event.data) push(JSON.parse(event.data) as SsePayload);
            if (event.event === 'complete') completed = true;
          }
        }
      } catch {
        // aborted or reset: the stream is over either way
      }
      ended = true;
      push(null);
    })();
  }
  let read = 0;
  const next = async (timeoutMs = 5000): Promise<SsePayload | null> => {
    const deadline = Date.now() + timeoutMs;
    while (read >= payloads.length) {
      if (ended && read >= payloads.length) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no subscription event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return payloads[read++] ?? null;
  };
  return {
    status: response.status,
    headers: response.headers,
    ...(refusal ? { refusal } : {}),
    next,
    async until(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const payload = await next(Math.max(1, deadline - Date.now()));
        if (payload === null) throw new Error('the subscription ended before a matching event');
        if (match(payload)) return payload;
      }
    },
    get heartbeats() {
      return heartbeats;
    },
    get completed() {
      return completed;
    },
    close: () => abort.abort(),
  };
}
