/**
 * Typed operations for the SDK (GraphQL Code Generator's client preset): the public schema and the
 * operations the apps ship (`schema/operations`), plus the SDK's own (`operations/`). Documents are
 * strings (`documentMode: 'string'`), so the SDK needs no GraphQL runtime; the one type the preset
 * imports from @graphql-typed-document-node/core is structural and is defined locally instead, so
 * the published package has no dependencies.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  overwrite: true,
  schema: '../../schema/schema.graphql',
  documents: ['../../schema/operations/**/*.graphql', 'operations/**/*.graphql'],
  generates: {
    'src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { Decimal: 'string', DateTime: 'string' },
        strictScalars: true,
      },
    },
  },
  hooks: {
    beforeOneFileWrite: [
      (_path: string, content: string) =>
        content.replaceAll("'@graphql-typed-document-node/core'", "'../typed-document.js'"),
    ],
  },
};

export default config;
