/**
 * Records what each request did — path, operation, principal, error codes, outcome — once, for the
 * metrics, the trace and the access log (src/telemetry/request-telemetry.ts). Goes first in the
 * plugin list: a request refused by an earlier plugin's onRequest would not be recorded.
 */
import { getOperationAST, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import {
  errorCodesOf,
  findRequestTelemetry,
  markClientAborted,
  outcomeOfResult,
  type PrincipalFacts,
  startRequestTelemetry,
} from '../telemetry/request-telemetry.js';

export interface RequestTelemetryPluginOptions {
  /**
   * Paths not recorded: no metrics, no access log line, no span (probes would drown them).
   * @default ['/healthz', '/readyz', '/metrics']
   */
  quietPaths?: readonly string[];
}

/** The context fields this plugin reads: the principal, once authentication has run. */
interface PrincipalCarrier {
  readonly request?: Request;
  readonly principal?: PrincipalFacts | null;
}

export function useRequestTelemetry({
  quietPaths = ['/healthz', '/readyz', '/metrics'],
}: RequestTelemetryPluginOptions = {}): Plugin {
  const quiet = new Set(quietPaths);
  return {
    onRequest({ request, url }) {
      const path = url.pathname;
      if (!quiet.has(path)) startRequestTelemetry(request, path);
    },
    onParams({ request, params }) {
      const record = findRequestTelemetry(request);
      // As the client sent it, until the executed document names the operation for sure.
      if (record && typeof params.operationName === 'string') record.operationName = params.operationName;
    },
    onExecute({ args }) {
      const context = args.contextValue as PrincipalCarrier;
      const record = context.request && findRequestTelemetry(context.request);
      if (!record) return;
      const operation = getOperationAST(args.document, args.operationName);
      record.operationName = operation?.name?.value;
      record.operationType = operation?.operation;
      if (context.principal) record.principal = principalFacts(context.principal);
      if (operation?.operation === 'mutation' && args.variableValues) {
        record.variables = declaredVariables(operation, args.variableValues);
      }
    },
    onResultProcess({ request, result, setResult }) {
      const record = findRequestTelemetry(request);
      if (!record || Array.isArray(result) || Symbol.asyncIterator in result) return;
      // The client went away while the operation ran: its upstream calls were cancelled with it, and
      // the errors that left in the answer are not failures of anything. Nobody reads the answer:
      // it is not serialised (a portfolio cut short carries an error per field, each copied by Yoga's
      // stringifier with a stack trace).
      if (request.signal.aborted) {
        markClientAborted(request);
        setResult({ data: null });
        return;
      }
      record.errorCodes.push(...errorCodesOf(result.errors));
      record.outcome = outcomeOfResult(result.data !== null && result.data !== undefined, record.errorCodes);
    },
  };
}

/** The variables the operation declares: whatever else a client sends along is not kept. */
function declaredVariables(
  operation: OperationDefinitionNode,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (Object.hasOwn(values, name)) kept[name] = values[name];
  }
  return kept;
}

/** Identifiers only: whatever else a principal object holds (scopes, tokens) stays out of the logs. */
function principalFacts(principal: PrincipalFacts): PrincipalFacts {
  return {
    userId: principal.userId,
    clientId: principal.clientId,
    via: principal.via,
    keyId: principal.keyId,
    keyVersion: principal.keyVersion,
  };
}
