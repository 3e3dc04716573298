/**
 * GraphQL Code Generator: resolver types for each source, from its own `schema.graphql` plus the SDL
 * every source may rely on (the shared scalars and `schema/directives.graphql`, exactly what the
 * gateway composes with). Parent types are the sources' model types (mappers), so a resolver is
 * checked against what the upstream client really returns, not against the GraphQL shape.
 *
 * `npm run codegen` writes `sources/<name>/generated/resolver-types.ts`; `npm run codegen:check`
 * fails when a committed file differs from what the SDL generates.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';
import { sharedTypeDefs } from './src/gateway/shared-type-defs.js';

/** A `Token` returned by a source that does not own it: market completes it from its id. */
const TOKEN_STUB = '{ readonly id: string }';

interface SourceTypes {
  /** `file#Type` of the resolvers' context, relative to the generated file. */
  context: string;
  /** GraphQL type → `file#Type` of the model a resolver receives as parent. */
  mappers: Record<string, string>;
}

const sources: Record<string, SourceTypes> = {
  market: {
    context: '../resolvers.js#MarketContext',
    mappers: {
      Token: '../resolvers.js#TokenParent',
      Price: '../types.js#TokenPrice',
      Candle: '../types.js#Candle',
    },
  },
  signals: {
    context: '../resolvers.js#SignalsContext',
    mappers: { Token: TOKEN_STUB, Signal: '../types.js#Signal' },
  },
  portfolio: {
    context: '../resolvers.js#PortfolioContext',
    mappers: {
      Account: '../messages.js#Account',
      Portfolio: '../messages.js#Portfolio',
      Position: '../messages.js#Position',
      Token: TOKEN_STUB,
    },
  },
  trading: {
    context: '../resolvers.js#TradingContext',
    mappers: { Order: '../messages.js#Order', Token: TOKEN_STUB },
  },
};

const config: CodegenConfig = {
  overwrite: true,
  generates: Object.fromEntries(
    Object.entries(sources).map(([name, types]) => [
      `sources/${name}/generated/resolver-types.ts`,
      {
        schema: [`sources/${name}/schema.graphql`, ...sharedTypeDefs()],
        plugins: ['typescript', 'typescript-resolvers'],
        config: {
          contextType: types.context,
          mappers: types.mappers,
          // Model types are imported as `<Name>Model`, so they never clash with the generated types.
          mapperTypeSuffix: 'Model',
          scalars: { Decimal: 'string', DateTime: 'string' },
          strictScalars: true,
          enumsAsTypes: true,
          useTypeImports: true,
          // Root resolvers receive no parent value: `unknown` keeps them callable from unit tests.
          rootValueType: 'unknown',
        },
      },
    ]),
  ),
};

export default config;
