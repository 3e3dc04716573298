/**
 * Server-Sent Events from a REST upstream, on an undici Pool of its own: a stream holds its
 * connection for as long as it lives, so streams must never occupy the connections of the unary
 * pool (http.ts), and their number is not capped. There is no body timeout: the upstream's
 * heartbeats are the liveness signal, and a stream on which nothing arrives (not even a comment)
 * for the idle limit fails. No retries and no breaker here: whoever consumes the stream reconnects.
 */
import { Pool } from 'undici';
import { isUpstreamError, UpstreamError } from './errors.js';
import { createSseParser, type SseEvent } from './sse.js';

/** How long a stream may stay silent before it fails, in ms: three heartbeats of 5 s. */
export const defaultStreamIdleTimeoutMs = 15_000;

/** Options of one SSE stream. */
export interface HttpStreamOptions {
  /** Closes the stream (and its connection) when aborted. */
  readonly signal: AbortSignal;
  /** Sent with the request, e.g. `x-request-id`, `traceparent`. */
  readonly headers?: Record<string, string>;
  /** Silence, in ms, after which the stream fails with UPSTREAM_TIMEOUT. @default the upstream's */
  readonly idleTimeoutMs?: number;
}

/** The stream pool of one upstream. */
export interface SseStreamer {
  stream(path: string, options: HttpStreamOptions): AsyncIterable<SseEvent>;
  /** Closes every open stream and the pool. */
  close(): Promise<void>;
}

/** Creates the stream pool; `timeoutMs` bounds connecting and the response headers. */
export function createSseStreamer({
  name,
  origin,
  timeoutMs,
  idleTimeoutMs: defaultIdleMs,
}: {
  name: string;
  origin: string;
  timeoutMs: number;
  idleTimeoutMs: number;
}): SseStreamer {
  const pool = new Pool(origin, {
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: 0,
    connect: { timeout: timeoutMs },
  });

  async function* stream(path: string, options: HttpStreamOptions): AsyncGenerator<SseEvent> {
    const { signal, headers, idleTimeoutMs = defaultIdleMs } = options;
    const route = path.split('?')[0];
    const controller = new AbortController();
    let expired: 'headers' | 'idle' | undefined;
    let timer: NodeJS.Timeout | undefined;
    const arm = (phase: 'headers' | 'idle', ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        expired = phase;
        controller.abort();
      }, ms);
    };
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });

    const failure = (err: unknown): UpstreamError => {
      if (expired === 'headers')
        return new UpstreamError('UPSTREAM_TIMEOUT', name, `no answer within ${timeoutMs} ms`, {
          cause: err,
        });
      if (expired === 'idle') {
        return new UpstreamError('UPSTREAM_TIMEOUT', name, `stream ${route} silent for ${idleTimeoutMs} ms`, {
          cause: err,
        });
      }
      if (signal.aborted)
        return new UpstreamError('UPSTREAM_UNAVAILABLE', name, 'aborted by the client', { cause: err });
      if (isUpstreamError(err)) return err;
      const code = (err as { code?: string }).code;
      return new UpstreamError(
        'UPSTREAM_UNAVAILABLE',
        name,
        `stream ${route}: ${code ?? (err as Error).message}`,
        {
          cause: err,
        },
      );
    };

    let body: Awaited<ReturnType<Pool['request']>>['body'] | undefined;
    try {
      arm('headers', timeoutMs);
      const response = await pool.request({
        method: 'GET',
        path,
        // A connection per stream, never a kept-alive one: a stream lives long, and a socket the
        // upstream is closing after the previous stream would fail the next at once (a false blip).
        reset: true,
        signal: controller.signal,
        headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', ...headers },
      });
      body = response.body;
      const contentType = String(response.headers['content-type'] ?? '');
      if (response.statusCode !== 200 || !/^text\/event-stream\b/i.test(contentType)) {
        const code = response.statusCode === 400 ? 'BAD_USER_INPUT' : 'UPSTREAM_UNAVAILABLE';
        const what =
          response.statusCode === 200 ? `content type "${contentType}"` : `HTTP ${response.statusCode}`;
        throw new UpstreamError(code, name, `${what} for stream GET ${route}`, {
          status: response.statusCode,
        });
      }
      const parser = createSseParser();
      const decoder = new TextDecoder();
      const chunks = body[Symbol.asyncIterator]();
      for (;;) {
        // The idle clock runs only while waiting on the upstream, never while the consumer is slow.
        arm('idle', idleTimeoutMs);
        const next = (await chunks.next()) as IteratorResult<Buffer>;
        clearTimeout(timer);
        if (next.done) return;
        for (const event of parser.push(decoder.decode(next.value, { stream: true }))) yield event;
      }
    } catch (err) {
      throw failure(err);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // Ends the request when the consumer stops early (break, return, its own error).
      if (body && !body.destroyed) {
        // undici's body errors with "Request aborted" when destroyed unread: nobody is listening now.
        body.on('error', () => {});
        body.destroy();
      }
    }
  }

  return {
    stream,
    // destroy, not close: close() would wait for streams that never end by themselves.
    close: () => pool.destroy(),
  };
}
