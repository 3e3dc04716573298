import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql-yoga and @graphql-tools load graphql's CommonJS build; test code must use the same
  // module, or schemas fail with "Cannot use GraphQLSchema from another module or realm".
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests bind real ports and share one Redis; files run in parallel workers,
    // tests inside a file run one after another.
    pool: 'forks',
  },
});
