/**
 * Query protection: operations too deep, too aliased, with too many directives or tokens, or costing
 * too much are refused with 400 QUERY_TOO_COMPLEX before anything executes (so before any upstream
 * call). Depth, aliases, directives and tokens are graphql-armor's plugins (their verdicts are cached
 * with the parsed and validated document); cost is src/gateway/operation-cost.ts, which weighs
 * lists by their size arguments and so needs the variables: it is checked when execution starts.
 *
 * Production hardening, also here: limits stated without numbers, "Did you mean …?" suggestions
 * removed from errors (they reveal the schema), and introspection only for principals with a scope.
 * The principal is known once the context is built, so the introspection gate sits in onExecute.
 */
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { BREAK, type DocumentNode, GraphQLError, type GraphQLSchema, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type ErrorDetails, gatewayError } from '../errors.js';
import type { GatewayContext } from '../gateway/context.js';
import { createOperationCostEstimator, type OperationCostOptions } from '../gateway/operation-cost.js';

export interface QueryProtectionPluginOptions {
  schema: GraphQLSchema;
  /**
   * Deepest field nesting; fragments are not a level, `__schema` introspection is not counted. The
   * client operations reach 5 (`portfolio.positions.token.price.usd`), which is also this schema's
   * deepest path.
   * @default 7
   */
  maxDepth?: number;
  /** Aliased fields per operation (`__typename` aliases are free). Client operations use none. @default 15 */
  maxAliases?: number;
  /** Directives per operation. Client operations use none. @default 10 */
  maxDirectives?: number;
  /**
   * Lexical tokens per document: bounds parsing work before any other check. The largest client
   * operation has 71; a query naming 500 token ids inline about 530.
   * @default 1000
   */
  maxTokens?: number;
  /**
   * Largest operation cost (src/gateway/operation-cost.ts). The costliest client operation is
   * WebPortfolio at 2001 (500 positions assumed, with token, price and signal each).
   * @default 5000
   */
  maxCost?: number;
  /** The cost model. @default operation-cost.ts's defaults */
  cost?: OperationCostOptions;
  /** Refusals state the limit and the value found. Production: false. @default true */
  exposeLimits?: boolean;
  /** Removes "Did you mean …?" from every error message. Production: true. @default false */
  hideSuggestions?: boolean;
  /**
   * Scope a principal needs to run introspection (`__schema`, `__type`); null leaves it open.
   * Production: `schema:introspect`.
   * @default null
   */
  introspectionScope?: string | null;
}

type Limit = 'depth' | 'aliases' | 'directives' | 'tokens' | 'cost';

/** What a refusal says when limits are not exposed: which limit, never its value. */
const HIDDEN: Record<Limit, string> = {
  depth: 'The operation is nested too deeply.',
  aliases: 'The operation uses too many aliases.',
  directives: 'The operation uses too many directives.',
  tokens: 'The operation document is too long.',
  cost: 'The operation asks for too much data at once: request fewer items or fewer nested lists.',
};

const SUGGESTION = / ?Did you mean [^?]*\?/g;

function tooComplex(limit: Limit, message: string, details: ErrorDetails = {}): GraphQLError {
  return gatewayError('QUERY_TOO_COMPLEX', message, { limit, ...details }, { http: true });
}

/** Whether a document selects `__schema` or `__type` anywhere (fragments on Query included). */
function selectsIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

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

export function useQueryProtection({
  schema,
  maxDepth = 7,
  maxAliases = 15,
  maxDirectives = 10,
  maxTokens = 1000,
  maxCost = 5000,
  cost: costOptions = {},
  exposeLimits = true,
  hideSuggestions = false,
  introspectionScope = null,
}: QueryProtectionPluginOptions): Plugin<GatewayContext> {
  for (const [name, value] of Object.entries({ maxDepth, maxAliases, maxDirectives, maxTokens, maxCost })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`useQueryProtection: ${name} must be a positive integer (got ${value})`);
    }
  }
  const estimator = createOperationCostEstimator(schema, costOptions);
  const introspects = new WeakMap<DocumentNode, boolean>();

  // graphql-armor reports a refusal as a "Syntax Error" GraphQLError; it is replaced by the catalogue's.
  const armor = (limit: Limit, max: number) => {
    const refuse = (error: GraphQLError) =>
      tooComplex(
        limit,
        exposeLimits ? error.message.replace(/^Syntax Error: /, '') : HIDDEN[limit],
        exposeLimits ? { max } : {},
      );
    const onReject: GraphQLArmorRejectCallback[] = [
      limit === 'tokens'
        ? (_context, error) => {
            throw refuse(error); // parsing stops here
          }
        : (context, error) => context?.reportError(refuse(error)),
    ];
    return { n: max, exposeLimits, onReject, propagateOnRejection: false };
  };

  return {
    onPluginInit({ addPlugin }) {
      addPlugin(maxTokensPlugin(armor('tokens', maxTokens)));
      addPlugin(
        maxDepthPlugin({ ...armor('depth', maxDepth), flattenFragments: true, ignoreIntrospection: true }),
      );
      addPlugin(maxAliasesPlugin(armor('aliases', maxAliases)));
      addPlugin(maxDirectivesPlugin(armor('directives', maxDirectives)));
    },
    onExecute({ args, setResultAndStopExecution }) {
      const cost = estimator.cost(args.document, args.variableValues, args.operationName);
      if (cost > maxCost) {
        setResultAndStopExecution({
          errors: [
            tooComplex(
              'cost',
              exposeLimits ? `Query cost limit of ${maxCost} exceeded, found ${cost}.` : HIDDEN.cost,
              exposeLimits ? { max: maxCost, cost } : {},
            ),
          ],
        });
        return;
      }
      if (introspectionScope === null) return;
      let introspection = introspects.get(args.document);
      if (introspection === undefined) {
        introspection = selectsIntrospection(args.document);
        introspects.set(args.document, introspection);
      }
      if (!introspection) return;
      const { principal } = args.contextValue;
      if (principal?.scopes.has(introspectionScope)) return;
      setResultAndStopExecution({
        errors: [
          principal
            ? gatewayError(
                'FORBIDDEN',
                `Introspection is disabled here: it needs the ${introspectionScope} scope.`,
                { scope: introspectionScope },
                { http: true },
              )
            : gatewayError(
                'UNAUTHENTICATED',
                `Introspection is disabled here: sign in with a key or token that has the ${introspectionScope} scope.`,
                { scope: introspectionScope },
                { http: true },
              ),
        ],
      });
    },
    onExecutionResult({ result, setResult }) {
      if (!hideSuggestions || !result || Array.isArray(result) || !('errors' in result) || !result.errors)
        return;
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
