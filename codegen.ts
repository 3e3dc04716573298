/**
 * GraphQL Code Generator: resolver types for each source of sources/index.ts (its entry's `codegen`:
 * context and mappers), from its own `schema.graphql` plus the SDL
 * every source may rely on (the shared scalars and `schema/directives.graphql`, exactly what the
 * gateway composes with). Parent types are the sources' model types (mappers), so a resolver is
 * checked against what the upstream client really returns, not against the GraphQL shape.
 *
 * `npm run codegen` writes `sources/<name>/generated/resolver-types.ts`; `npm run codegen:check`
 * fails when a committed file differs from what the SDL generates.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';
import { sources } from './sources/index.js';
import { sharedTypeDefs } from './src/gateway/shared-type-defs.js';

const config: CodegenConfig = {
  overwrite: true,
  generates: Object.fromEntries(
    sources.map(({ name, codegen: types }) => [
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
