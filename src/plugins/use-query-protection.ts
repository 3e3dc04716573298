/**
 * Query protection: operations too deep, too aliased, with too many directives or tokens, or costing
 * too much are refused with 400 QUERY_TOO_COMPLEX before anything executes (so before any upstream
 * call). Depth, aliases, directives and tokens are graphql-armor's plugins (their verdicts are cached
 * with the parsed and validated document); cost is src/gateway/operation-cost.ts, which weighs
 * lists by their size arguments and so needs the variables: it is checked when execution starts.
 * In production refusals name the limit without its value (`exposeLimits: false`); what else
 * production hides (suggestions, introspection) is use-schema-disclosure.ts.
 */
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type ErrorDetails, gatewayError } from '../errors.js';
import type { OperationAnalyzer } from '../gateway/operation-analysis.js';
import {
  createOperationCostEstimator,
  type OperationCostEstimator,
  type OperationCostOptions,
} from '../gateway/operation-cost.js';
import { onEveryOperation } from '../gateway/policy-hook.js';

export interface QueryProtectionPluginOptions {
  /** The shared operation analysis, which the cost is priced over. */
  analyzer: OperationAnalyzer;
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
  /**
   * The estimator, to share its per-document plans with another user of the costs (a cost budget);
   * `cost` is then ignored.
   * @default one built from `cost`
   */
  estimator?: OperationCostEstimator;
  /** Refusals state the limit and the value found. Production: false. @default true */
  exposeLimits?: boolean;
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

function tooComplex(limit: Limit, message: string, details: ErrorDetails = {}): GraphQLError {
  return gatewayError('QUERY_TOO_COMPLEX', message, { limit, ...details }, { http: true });
}

export function useQueryProtection({
  analyzer,
  maxDepth = 7,
  maxAliases = 15,
  maxDirectives = 10,
  maxTokens = 1000,
  maxCost = 5000,
  cost: costOptions = {},
  estimator = createOperationCostEstimator(costOptions),
  exposeLimits = true,
}: QueryProtectionPluginOptions): Plugin {
  for (const [name, value] of Object.entries({ maxDepth, maxAliases, maxDirectives, maxTokens, maxCost })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`useQueryProtection: ${name} must be a positive integer (got ${value})`);
    }
  }

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
    ...onEveryOperation(({ args, setResultAndStopExecution }) => {
      const analysis = analyzer.analyze(args.document, args.operationName, args.variableValues);
      // The document's whole cost, whoever asks: what the caller may see is the budget's business.
      const cost = analysis ? estimator.cost(analysis, args.variableValues) : 0;
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
      }
    }),
  };
}
