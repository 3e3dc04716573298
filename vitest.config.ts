import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql-yoga and @graphql-tools load graphql's CommonJS build; test code must use the same
  // module, or schemas fail with "Cannot use GraphQLSchema from another module or realm".
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests bind real ports and share one Redis; files run in parallel workers,
    // tests inside a file run one after another.
    pool: 'forks',
    // Two layers: `npm run test:unit` is in-process (yoga.fetch, memory stores, no ports, no
    // sandboxes); `npm run test:integration` boots real servers, sandboxes, Redis and processes.
    // `npm test` runs both.
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/plugins/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/{integration,security,sources,stores,e2e,fixture-source}/**/*.test.ts'],
        },
      },
    ],
  },
});
