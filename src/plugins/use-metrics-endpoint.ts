/**
 * `GET /metrics`: the Prometheus text exposition of this instance's registry, optionally behind a
 * bearer token (METRICS_TOKEN), compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from '../telemetry/metrics.js';

export interface MetricsEndpointPluginOptions {
  metrics: GatewayMetrics;
  /**
   * Bearer token a scraper must send (`Authorization: Bearer <token>`).
   * @default undefined: the endpoint is open (keep it off the public listener then)
   */
  token?: string | undefined;
  /** @default '/metrics' */
  endpoint?: string;
}

export function useMetricsEndpoint({
  metrics,
  token,
  endpoint = '/metrics',
}: MetricsEndpointPluginOptions): Plugin {
  // Digests have one length whatever the tokens' lengths: timingSafeEqual then compares all of it.
  const expected = token === undefined ? undefined : digest(token);
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      if (expected !== undefined && !authorized(request.headers.get('authorization'), expected)) {
        endResponse(
          new fetchAPI.Response('Unauthorized\n', {
            status: 401,
            headers: { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain' },
          }),
        );
        return;
      }
      const body = await metrics.expose();
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
          status: 200,
          headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
        }),
      );
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
