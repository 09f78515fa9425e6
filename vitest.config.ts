import { defineConfig } from 'vitest/config';

// .ci/run sets VITEST_JSON_REPORT so it can print one `tests: N passed, M failed` line.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    // Browser tests measure how long the page blocks: they run after every other file, one at a time,
    // so the rest of the suite does not share the two cores with Chromium meanwhile.
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/**/*.browser.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/**/*.browser.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    setupFiles: ['test/support/fresh-store.ts'],
    // A test that reads a file beside the repository (../shared) skips itself, saying where, when the
    // file is absent (a fresh clone); .ci/run fails if one was skipped while ../shared is there.
    tags: [
      { name: 'beside-repo', description: 'reads ../shared; skipped with the path where absent' },
      {
        name: 'browser',
        description: "drives Debian's Chromium; skipped with the install command where absent",
      },
    ],
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
