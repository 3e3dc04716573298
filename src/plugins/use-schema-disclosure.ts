/**
 * What the gateway tells about its schema to whom (production hardening): introspection (`__schema`,
 * `__type`) only for principals with a scope, and no "Did you mean …?" suggestions in errors, which
 * would spell the schema out to someone guessing field names. The principal is known only once the
 * context is built, so the introspection gate runs when execution starts — still before any
 * resolver, and per document it is one cached lookup.
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { PrincipalContext } from '../auth/principal.js';
import { gatewayError } from '../errors.js';
import type { OperationAnalyzer } from '../gateway/operation-analysis.js';
import { onEveryOperation } from '../gateway/policy-hook.js';

export interface SchemaDisclosurePluginOptions {
  /** The shared operation analysis: whether the operation reads `__schema`/`__type`, however spelled. */
  analyzer: OperationAnalyzer;
  /**
   * Scope a principal needs to run introspection; null leaves introspection open. Production:
   * `schema:introspect`.
   * @default null
   */
  introspectionScope?: string | null;
  /** Removes "Did you mean …?" from every error message. Production: true. @default false */
  hideSuggestions?: boolean;
}

const SUGGESTION = / ?Did you mean [^?]*\?/g;

function withoutSuggestions(error: GraphQLError): GraphQLError {
  if (!error.message.includes('Did you mean')) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

export function useSchemaDisclosure({
  analyzer,
  introspectionScope = null,
  hideSuggestions = false,
}: SchemaDisclosurePluginOptions): Plugin<PrincipalContext> {
  return {
    ...onEveryOperation(({ args, setResultAndStopExecution }) => {
      if (introspectionScope === null) return;
      if (!analyzer.analyze(args.document, args.operationName, args.variableValues)?.introspection) return;
      const { principal } = args.contextValue;
      if (principal?.scopes.has(introspectionScope)) return;
      const details = { scope: introspectionScope };
      setResultAndStopExecution({
        errors: [
          principal
            ? gatewayError(
                'FORBIDDEN',
                `Introspection is disabled here: it needs the ${introspectionScope} scope.`,
                details,
                { http: true },
              )
            : gatewayError(
                'UNAUTHENTICATED',
                `Introspection is disabled here: sign in with a key or token that has the ${introspectionScope} scope.`,
                details,
                { http: true },
              ),
        ],
      });
    }),
    // Every answer passes here, request errors (parse, validation) included.
    onExecutionResult({ result, setResult }) {
      if (!hideSuggestions || !result || !('errors' in result) || !result.errors) return;
      if (!result.errors.some((error) => error.message.includes('Did you mean'))) return;
      setResult({
        ...result,
        errors: result.errors.map((error) =>
          error instanceof GraphQLError ? withoutSuggestions(error) : error,
        ),
      });
    },
  };
}
