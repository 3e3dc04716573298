/**
 * Prometheus metrics of GraphQL requests: duration of each request and of its execution by
 * operation, type and outcome, requests in flight, and response errors by catalogue code. Reads the
 * request's record (useRequestTelemetry); the families live in the instance's GatewayMetrics.
 */
import type { Plugin } from 'graphql-yoga';
import { requestSlot } from '../gateway/request-slot.js';
import { NONE } from '../telemetry/labels.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import {
  errorCodesOf,
  findRequestTelemetry,
  outcomeOfResponse,
  outcomeOfResult,
} from '../telemetry/request-telemetry.js';

export interface MetricsPluginOptions {
  /** The gateway instance's metrics. */
  metrics: GatewayMetrics;
}

export function useMetrics({ metrics }: MetricsPluginOptions): Plugin {
  const executions = requestSlot<Request, number>('executionStart');
  // A response ended by an earlier plugin's onRequest skips this onRequest: only what was counted
  // in is counted out.
  const inFlight = requestSlot<Request, true>('inFlight');
  return {
    onRequest({ request }) {
      if (!findRequestTelemetry(request)) return;
      inFlight.set(request, true);
      metrics.requestsInFlight.inc();
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request) return;
      executions.set(request, performance.now());
      return {
        onExecuteDone({ result }) {
          const record = findRequestTelemetry(request);
          const started = executions.get(request);
          if (!record || started === undefined || Symbol.asyncIterator in result) return;
          // Errors may not be masked yet: an error without a catalogue code counts as server-side.
          const outcome = outcomeOfResult(
            result.data !== null && result.data !== undefined,
            errorCodesOf(result.errors),
          );
          metrics.observeOperation(
            metrics.operationLabel(record.operationName),
            record.operationType ?? NONE,
            outcome,
            (performance.now() - started) / 1000,
          );
        },
      };
    },
    onResponse({ request, response }) {
      const record = findRequestTelemetry(request);
      if (!record) return;
      if (inFlight.delete(request)) metrics.requestsInFlight.dec();
      const outcome = outcomeOfResponse(record, response.status);
      const operation =
        record.operationName === undefined && record.operationType === undefined
          ? NONE
          : metrics.operationLabel(record.operationName);
      metrics.observeRequest(
        operation,
        record.operationType ?? NONE,
        outcome,
        (performance.now() - record.start) / 1000,
      );
      // Codes are catalogue codes (errorCodesOf): a bounded label.
      for (const code of record.errorCodes) metrics.graphqlErrors.inc({ code });
    },
  };
}
