/**
 * Analyses the operation once, when execution starts and before any policy that reads it (see
 * src/gateway/operation-analysis.ts): later plugins get the same cached analysis from the analyzer.
 * An operation whose field tree is too large to analyse is refused here, before anything runs.
 */
import type { Plugin } from 'graphql-yoga';
import { gatewayError } from '../errors.js';
import { type OperationAnalyzer, OperationTooLargeError } from '../gateway/operation-analysis.js';
import { onEveryOperation } from '../gateway/policy-hook.js';

export interface OperationAnalysisPluginOptions {
  analyzer: OperationAnalyzer;
  /** Refusals state the limit. Production: false. @default true */
  exposeLimits?: boolean;
}

export function useOperationAnalysis({
  analyzer,
  exposeLimits = true,
}: OperationAnalysisPluginOptions): Plugin {
  return {
    ...onEveryOperation(({ args, setResultAndStopExecution }) => {
      try {
        analyzer.analyze(args.document, args.operationName, args.variableValues);
      } catch (err) {
        if (!(err instanceof OperationTooLargeError)) throw err;
        setResultAndStopExecution({
          errors: [
            gatewayError(
              'QUERY_TOO_COMPLEX',
              exposeLimits ? `The operation is too large: ${err.message}.` : 'The operation is too large.',
              { limit: 'fields' },
              { http: true },
            ),
          ],
        });
      }
    }),
  };
}
