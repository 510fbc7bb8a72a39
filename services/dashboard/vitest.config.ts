import { defineProject } from 'vitest/config';

// Component logic (ladder layout, labels, the trace model) in Node; the pages themselves are
// tested in a real Chromium by the session service's e2e tests.
export default defineProject({
  test: { name: 'dashboard', include: ['test/**/*.test.ts'] },
});
