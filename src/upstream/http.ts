/**
 * HTTP plumbing for REST sources: one keep-alive undici Pool per upstream (built in main.ts and
 * passed down), JSON GETs with a per-request timeout and the caller's AbortSignal.
 */
import { Pool } from 'undici';
import { UpstreamError } from './errors.js';

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
}

/** A REST upstream: the part of undici a source client needs. */
export interface HttpUpstream {
  readonly name: string;
  /** GETs `path` (with its query string) and parses JSON; non-2xx and transport failures throw UpstreamError. */
  getJson<T>(
    path: string,
    options?: { signal?: AbortSignal | undefined; headers?: Record<string, string> },
  ): Promise<T>;
  /** POSTs a JSON body; never retried. */
  postJson<T>(
    path: string,
    body: unknown,
    options?: { signal?: AbortSignal | undefined; headers?: Record<string, string> },
  ): Promise<T>;
  close(): Promise<void>;
}

/** Creates the pooled upstream; call once per process (main.ts). */
export function createHttpUpstream({
  name,
  url,
  timeoutMs = 2000,
  connections = 32,
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
    options: { signal?: AbortSignal | undefined; headers?: Record<string, string> } = {},
  ): Promise<T> {
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await pool.request({
        method,
        path,
        body,
        signal: options.signal,
        headers:
          body === undefined ? options.headers : { 'content-type': 'application/json', ...options.headers },
      });
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
        `HTTP ${statusCode} for ${method} ${path.split('?')[0]}`,
        { status: statusCode },
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new UpstreamError(
        'UPSTREAM_UNAVAILABLE',
        name,
        `invalid JSON from ${method} ${path.split('?')[0]}`,
        { cause: err },
      );
    }
  }

  return {
    name,
    getJson: (path, options) => send('GET', path, undefined, options),
    postJson: (path, body, options) => send('POST', path, JSON.stringify(body), options),
    close: () => pool.close(),
  };
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
