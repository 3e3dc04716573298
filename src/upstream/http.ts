/**
 * HTTP plumbing for REST sources: one keep-alive undici Pool per upstream (built in main.ts and
 * passed down), JSON GETs with a per-request timeout and the caller's AbortSignal. Every call is
 * reported to the injected observer (metrics, tracing), which may add headers such as `traceparent`.
 */
import { Pool } from 'undici';
import { UpstreamError } from './errors.js';
import { outcomeOf, type UpstreamCallScope, type UpstreamObserver } from './observer.js';

/** Options of one REST upstream. */
export interface HttpUpstreamOptions {
  /** Source name, used in errors and logs. */
  name: string;
  /** Base URL, e.g. `http://127.0.0.1:7001`. Only its origin is used. */
  url: string;
  /** Time allowed for the response headers and for the body, each, in ms. @default 2000 */
  timeoutMs?: number;
  /** Maximum keep-alive connections to the upstream. @default 32 */
  connections?: number;
  /** Receives every call (metrics, tracing). @default none: nothing is recorded */
  observer?: UpstreamObserver | undefined;
}

/** Per-call options of a REST call. */
export interface HttpCallOptions {
  signal?: AbortSignal | undefined;
  headers?: Record<string, string>;
  /** Route template for metrics and span names (`/v1/tokens/{id}`); default: the path without its query. */
  route?: string;
  /** The request the call serves, passed to the observer. */
  scope?: UpstreamCallScope | undefined;
}

/** A REST upstream: the part of undici a source client needs. */
export interface HttpUpstream {
  readonly name: string;
  /** GETs `path` (with its query string) and parses JSON; non-2xx and transport failures throw UpstreamError. */
  getJson<T>(path: string, options?: HttpCallOptions): Promise<T>;
  /** POSTs a JSON body; never retried. */
  postJson<T>(path: string, body: unknown, options?: HttpCallOptions): Promise<T>;
  close(): Promise<void>;
}

/** Creates the pooled upstream; call once per process (main.ts). */
export function createHttpUpstream({
  name,
  url,
  timeoutMs = 2000,
  connections = 32,
  observer,
}: HttpUpstreamOptions): HttpUpstream {
  const origin = new URL(url).origin;
  const pool = new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs },
  });

  async function send<T>(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    options: HttpCallOptions = {},
  ): Promise<T> {
    let headers =
      body === undefined ? options.headers : { 'content-type': 'application/json', ...options.headers };
    if (observer === undefined) return (await exchange<T>(method, path, body, headers, options.signal)).value;
    const carrier: Record<string, string> = {};
    const end = observer.startCall(
      {
        source: name,
        transport: 'http',
        method,
        operation: options.route ?? pathOnly(path),
        scope: options.scope,
      },
      carrier,
    );
    headers = { ...headers, ...carrier };
    try {
      const { value, status } = await exchange<T>(method, path, body, headers, options.signal);
      end('ok', undefined, status);
      return value;
    } catch (err) {
      const failure = err as UpstreamError;
      end(outcomeOf(failure.code, options.signal?.aborted === true), failure.code, failure.status);
      throw err;
    }
  }

  /** One request and its JSON answer; every failure is an UpstreamError. */
  async function exchange<T>(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    headers: Record<string, string> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ value: T; status: number }> {
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await pool.request({ method, path, body, signal, headers });
    } catch (err) {
      throw transportError(name, err);
    }
    const { statusCode } = response;
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      throw transportError(name, err);
    }
    if (statusCode < 200 || statusCode >= 300) {
      throw new UpstreamError(
        statusCode === 404 ? 'NOT_FOUND' : statusCode === 400 ? 'BAD_USER_INPUT' : 'UPSTREAM_UNAVAILABLE',
        name,
        `HTTP ${statusCode} for ${method} ${pathOnly(path)}`,
        { status: statusCode },
      );
    }
    try {
      return { value: JSON.parse(text) as T, status: statusCode };
    } catch (err) {
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', name, `invalid JSON from ${method} ${pathOnly(path)}`, {
        cause: err,
      });
    }
  }

  return {
    name,
    getJson: (path, options) => send('GET', path, undefined, options),
    postJson: (path, body, options) => send('POST', path, JSON.stringify(body), options),
    close: () => pool.close(),
  };
}

function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
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
