import { defineConfig } from 'vitest/config';

// One run, one summary: every package's tests are a project of its own.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/session-service', 'services/dashboard'],
  },
});
