import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests bind real ports and share one Redis; files run in parallel workers,
    // tests inside a file run one after another.
    pool: 'forks',
  },
});
