import { defineConfig } from 'vitest/config';

// .ci/run sets VITEST_JSON_REPORT so it can print one `tests: N passed, M failed` line.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    setupFiles: ['test/support/fresh-store.ts'],
    // A test that reads a file beside the repository (../shared) skips itself, saying where, when the
    // file is absent (a fresh clone); .ci/run fails if one was skipped while ../shared is there.
    tags: [{ name: 'beside-repo', description: 'reads ../shared; skipped with the path where absent' }],
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
