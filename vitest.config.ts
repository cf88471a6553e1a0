import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    // The CLI (bin/ → dist/) is built once per run, for the tests that spawn it.
    globalSetup: ['test/helpers/built-cli.ts'],
    // Integration and end-to-end tests spawn real processes and watch real folders;
    // two cores here, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
    // Budgets for a machine ten times slower than an idle one (a shared CI runner): a test or hook that
    // ends early costs nothing, and one that hangs still fails. Waits inside tests have their own
    // (PATIENCE_MS in test/helpers/wait-for.ts); heavy files set longer budgets where they need them.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
