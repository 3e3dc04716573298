/**
 * `GET /metrics`: the Prometheus text exposition of this instance's registry, optionally behind a
 * bearer token (METRICS_TOKEN), compared in constant time. Production refuses it without a token
 * on the public listener: the families carry client ids. The same answer serves METRICS_PORT's
 * listener (src/main.ts) through `createMetricsResponder`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from '../telemetry/metrics.js';

export interface MetricsEndpointPluginOptions {
  metrics: GatewayMetrics;
  /**
   * Bearer token a scraper must send (`Authorization: Bearer <token>`).
   * @default undefined: no token; `withoutToken` decides
   */
  token?: string | undefined;
  /**
   * What a scrape gets when no token is configured: `open` answers it (keep the port off the
   * public network then), `refused` answers 403 (production's public listener).
   * @default 'open'
   */
  withoutToken?: 'open' | 'refused';
  /** @default '/metrics' */
  endpoint?: string;
}

/**
 * Answers one request to the metrics endpoint (method, token, exposition), with the Response class
 * of the server it runs in (Yoga's fetch API, or the global one).
 */
export type MetricsResponder = (request: Request, ResponseClass?: typeof Response) => Promise<Response>;

const REFUSED =
  'Metrics are not served on this port without a token: set METRICS_TOKEN (scrapers send it as a bearer token), or METRICS_PORT to serve them on a separate listener.\n';

/** The endpoint's answer to a request already routed to it: usable outside Yoga (METRICS_PORT). */
export function createMetricsResponder({
  metrics,
  token,
  withoutToken = 'open',
}: Omit<MetricsEndpointPluginOptions, 'endpoint'>): MetricsResponder {
  // Digests have one length whatever the tokens' lengths: timingSafeEqual then compares all of it.
  const expected = token === undefined ? undefined : digest(token);
  return async (request, ResponseClass = Response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new ResponseClass(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    if (expected === undefined && withoutToken === 'refused') {
      return new ResponseClass(REFUSED, { status: 403, headers: { 'content-type': 'text/plain' } });
    }
    if (expected !== undefined && !authorized(request.headers.get('authorization'), expected)) {
      return new ResponseClass('Unauthorized\n', {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain' },
      });
    }
    const body = await metrics.expose();
    return new ResponseClass(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
    });
  };
}

export function useMetricsEndpoint({
  endpoint = '/metrics',
  ...options
}: MetricsEndpointPluginOptions): Plugin {
  const respond = createMetricsResponder(options);
  return {
    // Not async: every other request passes without a promise (an async hook costs each request
    // a real promise chain through Yoga's remaining hooks).
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      return respond(request, fetchAPI.Response).then(endResponse);
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function authorized(header: string | null, expected: Buffer): boolean {
  const match = header === null ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  // An absent or malformed header still costs one comparison, like a wrong token.
  return timingSafeEqual(digest(match?.[1] ?? ''), expected) && match !== null;
}
