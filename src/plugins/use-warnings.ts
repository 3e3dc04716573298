/**
 * Warnings of a request (`extensions.warnings` of its answer): a key in its rotation grace window,
 * a linked credential due for rotation. Added by whoever notices while the request runs (the
 * authentication plugin, a resolver through the context's `warn`), answered once per code and message.
 */
import type { Plugin } from 'graphql-yoga';
import type { GatewayWarning } from '../errors.js';
import { requestSlot } from '../gateway/request-slot.js';

export interface RequestWarnings {
  add(request: Request, warning: GatewayWarning): void;
  /** Puts the request's warnings into its answer (not into streamed ones: those have no end). */
  readonly plugin: Plugin;
}

export function createRequestWarnings(): RequestWarnings {
  const byRequest = requestSlot<Request, GatewayWarning[]>('warnings');
  return {
    add(request, warning) {
      const list = byRequest.get(request);
      if (!list) byRequest.set(request, [warning]);
      else if (!list.some((w) => w.code === warning.code && w.message === warning.message))
        list.push(warning);
    },
    plugin: {
      onResultProcess({ request, result, setResult }) {
        const warnings = byRequest.get(request);
        if (
          !warnings ||
          Array.isArray(result) ||
          !result ||
          typeof result !== 'object' ||
          Symbol.asyncIterator in result
        )
          return;
        const extensions = (result as { extensions?: Record<string, unknown> }).extensions ?? {};
        setResult({ ...result, extensions: { ...extensions, warnings } });
      },
    },
  };
}
