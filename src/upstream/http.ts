/**
 * HTTP plumbing for REST sources: one keep-alive undici Pool per upstream (built in main.ts and
 * passed down), JSON GETs with a per-request timeout and the caller's AbortSignal, every call run
 * through the source's resilience policies (resilience.ts: retries, circuit breaker, bulkhead,
 * deduplication). Every attempt is reported to the injected observer (metrics, tracing), which may
 * add headers such as `traceparent`. Server-Sent Events streams go over a pool of their own
 * (http-stream.ts), outside the resilience policies.
 */
import { Pool } from 'undici';
import type { UpstreamCallOptions } from './call.js';
import { UpstreamError } from './errors.js';
import { createSseStreamer, defaultStreamIdleTimeoutMs, type HttpStreamOptions } from './http-stream.js';
import { type CircuitState, outcomeOf, type UpstreamObserver } from './observer.js';
import { createResilience, defaultTimeoutMs, type ResilienceOptions } from './resilience.js';
import type { SseEvent } from './sse.js';

/** Options of one REST upstream. */
export interface HttpUpstreamOptions {
  /** Source name, used in errors and logs. */
  name: string;
  /** Base URL, e.g. `http://127.0.0.1:7001`. Only its origin is used. */
  url: string;
  /**
   * Time one attempt may take, from sending to the end of the body, in ms. @default
   * `defaultTimeoutMs` of resilience.ts (2000)
   */
  timeoutMs?: number;
  /** Maximum keep-alive connections to the upstream. @default 32 */
  connections?: number;
  /** Receives every call (metrics, tracing). @default none: nothing is recorded */
  observer?: UpstreamObserver | undefined;
  /** Retries, breaker, bulkhead, deduplication. @default the defaults of resilience.ts */
  resilience?: ResilienceOptions | undefined;
  /**
   * Silence after which an SSE stream fails, in ms (three heartbeats of the upstream). @default
   * `defaultStreamIdleTimeoutMs` of http-stream.ts (15000)
   */
  streamIdleTimeoutMs?: number;
}

/** Per-call options of a REST call: the common ones and the route it reads. */
export interface HttpCallOptions extends UpstreamCallOptions {
  /** Route template for metrics and span names (`/v1/tokens/{id}`); default: the path without its query. */
  readonly route?: string;
  /**
   * Headers of this call (a caller's credentials upstream). A call with headers is never shared
   * with identical GETs in flight: the answer is that caller's.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * 4xx answers are the caller's (a refused credential, a bad parameter), not a sign the upstream
   * is unwell: they fail as BAD_USER_INPUT (404 NOT_FOUND) with the upstream's JSON body on
   * `UpstreamError.body` (for the source to read, never for the client), are never retried, and
   * never count towards the breaker. @default false: 4xx other than 400/404 count as unavailable
   */
  readonly clientErrors?: boolean;
}

/** A REST upstream: the part of undici a source client needs. */
export interface HttpUpstream {
  readonly name: string;
  /**
   * GETs `path` (with its query string) and parses JSON; non-2xx and transport failures throw
   * UpstreamError. Concurrent GETs of the same path share one request and one parsed value: treat
   * it as immutable.
   */
  getJson<T>(path: string, options?: HttpCallOptions): Promise<T>;
  /**
   * Opens the Server-Sent Events stream at `path` when iterated, on a pool of its own, and yields
   * its events. It returns when the upstream ends the stream cleanly, and throws UpstreamError on a
   * non-200 answer or another content type (400: BAD_USER_INPUT), a reset, silence beyond the idle
   * limit (UPSTREAM_TIMEOUT), a malformed stream, or the abort of `signal` (which closes the
   * connection, as does leaving the loop). Never retried, and the breaker is not consulted.
   */
  stream(path: string, options: HttpStreamOptions): AsyncIterable<SseEvent>;
  /** The source's circuit breaker now, for callers that reconnect streams on their own. */
  circuitState(): CircuitState;
  close(): Promise<void>;
}

/** Creates the pooled upstream; call once per process (main.ts). */
export function createHttpUpstream({
  name,
  url,
  timeoutMs = defaultTimeoutMs,
  connections = 32,
  observer,
  resilience,
  streamIdleTimeoutMs = defaultStreamIdleTimeoutMs,
}: HttpUpstreamOptions): HttpUpstream {
  const origin = new URL(url).origin;
  // undici's own timeouts stay as a backstop; the attempt's timer in `exchange` is the timeout.
  const pool = new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs },
  });
  const policies = createResilience(name, resilience, observer);
  const streams = createSseStreamer({ name, origin, timeoutMs, idleTimeoutMs: streamIdleTimeoutMs });

  /** A GET: a read, so it may be retried and shared with identical GETs in flight. */
  function getJson<T>(path: string, options: HttpCallOptions = {}): Promise<T> {
    const operation = options.route ?? pathOnly(path);
    // Headers are not part of the key (they carry the request id and trace context): a source that
    // sends per-caller credentials upstream must turn deduplication off for its upstream.
    return policies.execute(
      { operation, idempotent: true, key: policies.dedup && !options.headers ? path : undefined },
      (signal) => attempt<T>(path, operation, options, signal),
      options.signal,
    );
  }

  /** One attempt, reported to the observer. */
  async function attempt<T>(
    path: string,
    operation: string,
    options: HttpCallOptions,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    let headers: Record<string, string> | undefined = options.requestId
      ? { ...options.headers, 'x-request-id': options.requestId }
      : options.headers;
    if (observer === undefined) return (await exchange<T>(path, headers, signal, options.clientErrors)).value;
    const carrier: Record<string, string> = {};
    const end = observer.startCall(
      { source: name, transport: 'http', method: 'GET', operation, scope: options.scope },
      carrier,
    );
    headers = { ...headers, ...carrier };
    try {
      const { value, status } = await exchange<T>(path, headers, signal, options.clientErrors);
      end('ok', undefined, status);
      return value;
    } catch (err) {
      const failure = err as UpstreamError;
      end(outcomeOf(failure.code, signal?.aborted === true), failure.code, failure.status);
      throw err;
    }
  }

  /** One request and its JSON answer; every failure is an UpstreamError. */
  async function exchange<T>(
    path: string,
    headers: Readonly<Record<string, string>> | undefined,
    signal: AbortSignal | undefined,
    clientErrors = false,
  ): Promise<{ value: T; status: number }> {
    // undici arms its timeouts on a ~0.5 s tick past 1 s, so they fire up to a second late: this
    // exact timer aborts the request (headers and body) at timeoutMs, through the same signal as the
    // caller's disconnect.
    const controller = new AbortController();
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let response: Awaited<ReturnType<Pool['request']>>;
    let text: string;
    try {
      response = await pool.request({ method: 'GET', path, signal: controller.signal, headers });
      text = await response.body.text();
    } catch (err) {
      if (expired) {
        throw new UpstreamError('UPSTREAM_TIMEOUT', name, `no answer within ${timeoutMs} ms`, { cause: err });
      }
      if (signal?.aborted) {
        throw new UpstreamError('UPSTREAM_UNAVAILABLE', name, 'aborted by the client', { cause: err });
      }
      throw transportError(name, err);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const { statusCode } = response;
    if (clientErrors && statusCode >= 400 && statusCode < 500 && statusCode !== 408 && statusCode !== 429) {
      throw new UpstreamError(
        statusCode === 404 ? 'NOT_FOUND' : 'BAD_USER_INPUT',
        name,
        `HTTP ${statusCode} for GET ${pathOnly(path)}`,
        { status: statusCode, body: parseOrUndefined(text) },
      );
    }
    if (statusCode < 200 || statusCode >= 300) {
      throw new UpstreamError(
        statusCode === 404 ? 'NOT_FOUND' : statusCode === 400 ? 'BAD_USER_INPUT' : 'UPSTREAM_UNAVAILABLE',
        name,
        `HTTP ${statusCode} for GET ${pathOnly(path)}`,
        {
          status: statusCode,
          retryAfterMs:
            statusCode === 503 || statusCode === 429
              ? retryAfterMs(response.headers['retry-after'])
              : undefined,
        },
      );
    }
    try {
      return { value: JSON.parse(text) as T, status: statusCode };
    } catch (err) {
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', name, `invalid JSON from GET ${pathOnly(path)}`, {
        cause: err,
      });
    }
  }

  return {
    name,
    getJson,
    stream: (path, options) => streams.stream(path, options),
    circuitState: () => policies.circuitState,
    close: async () => {
      await Promise.all([pool.close(), streams.close()]);
    },
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

/** `Retry-After` in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or malformed. */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function transportError(source: string, err: unknown): UpstreamError {
  const code = (err as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return new UpstreamError('UPSTREAM_TIMEOUT', source, code, { cause: err });
  if ((err as Error).name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    return new UpstreamError('UPSTREAM_UNAVAILABLE', source, 'aborted by the client', { cause: err });
  }
  return new UpstreamError('UPSTREAM_UNAVAILABLE', source, code || (err as Error).message, { cause: err });
}
