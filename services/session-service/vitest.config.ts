import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'session-service',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One PostgreSQL for the run: DATABASE_URL when set, else an embedded one (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
