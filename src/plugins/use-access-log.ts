/** One log line per request: id, method, path, operation, status, duration. Nothing from headers or bodies. */

import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { requestIdOf } from './use-request-id.js';

export interface AccessLogPluginOptions {
  /** The root logger; lines are written at `info`. */
  logger: Logger;
  /**
   * Paths not logged (probes would drown the log).
   * @default ['/healthz', '/readyz', '/metrics']
   */
  quietPaths?: readonly string[];
}

interface RequestFacts {
  start: number;
  operationName?: string | undefined;
}

/** Writes the access log line when the response is ready. */
export function useAccessLog({
  logger,
  quietPaths = ['/healthz', '/readyz', '/metrics'],
}: AccessLogPluginOptions): Plugin {
  const facts = new WeakMap<Request, RequestFacts>();
  const quiet = new Set(quietPaths);
  return {
    onRequest({ request }) {
      facts.set(request, { start: performance.now() });
    },
    onParams({ request, params }) {
      const fact = facts.get(request);
      if (fact) fact.operationName = params.operationName ?? undefined;
    },
    onResponse({ request, response }) {
      const fact = facts.get(request);
      const path = new URL(request.url).pathname;
      if (!fact || quiet.has(path) || !logger.isLevelEnabled('info')) return;
      logger.info(
        {
          requestId: requestIdOf(request),
          method: request.method,
          path,
          operationName: fact.operationName,
          status: response.status,
          durationMs: Math.round((performance.now() - fact.start) * 100) / 100,
        },
        'request',
      );
    },
  };
}
