/**
 * One log line per request, audit-grade: request id, trace id, principal (user, client, key id and
 * version — identifiers, never credentials), operation name and type, status, outcome, duration,
 * upstream call count and error codes; for mutations, their variables with sensitive names redacted.
 * Never headers, documents or response bodies. Reads the request's record (useRequestTelemetry):
 * requests it does not record (probes, /metrics) are not logged.
 */
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { redactSensitive } from '../logger.js';
import { findRequestTelemetry, outcomeOfResponse, statusOfResponse } from '../telemetry/request-telemetry.js';
import { requestIdOf } from './use-request-id.js';

export interface AccessLogPluginOptions {
  /** The root logger; lines are written at `info`. */
  logger: Logger;
  /**
   * Log mutation variables (redacted by key name) as the audit trail of what was asked.
   * @default true
   */
  mutationVariables?: boolean;
}

/** Longest operation name written as sent (a client's unvalidated name may be anything). */
const MAX_NAME = 100;

/** Writes the access log line when the response is ready. */
export function useAccessLog({ logger, mutationVariables = true }: AccessLogPluginOptions): Plugin {
  return {
    onResponse({ request, response }) {
      const record = findRequestTelemetry(request);
      if (!record || !logger.isLevelEnabled('info')) return;
      const line: Record<string, unknown> = {
        requestId: requestIdOf(request),
        method: record.method,
        path: record.path,
        status: statusOfResponse(record, response.status),
        outcome: outcomeOfResponse(record, response.status),
        durationMs: Math.round((performance.now() - record.start) * 100) / 100,
        upstreamCalls: record.upstreamCalls,
      };
      if (record.traceId) line.traceId = record.traceId;
      if (record.operationName !== undefined) line.operationName = record.operationName.slice(0, MAX_NAME);
      if (record.operationType) line.operationType = record.operationType;
      if (record.principal) line.principal = record.principal;
      if (record.errorCodes.length > 0) line.errorCodes = record.errorCodes;
      if (record.upstreamErrors.length > 0) line.upstreamErrors = record.upstreamErrors;
      if (mutationVariables && record.variables) line.variables = redactSensitive(record.variables);
      logger.info(line, 'request');
    },
  };
}
