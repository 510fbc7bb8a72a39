import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { Problem } from './problem.js';
import { NotReadyProblem, Readiness } from './health.js';

describe('contract schemas', () => {
  it('every published example is valid against its own schema', () => {
    for (const schema of [Problem, Readiness, NotReadyProblem]) {
      const { examples } = schema as { examples?: unknown[] };
      expect(examples?.length).toBeGreaterThan(0);
      for (const example of examples ?? []) {
        expect(Value.Errors(schema, example)).toEqual([]);
      }
    }
  });

  it('a problem without its stable code is refused', () => {
    const problem = { type: 'about:blank', title: 'Not Found', status: 404 };
    expect(Value.Check(Problem, problem)).toBe(false);
  });

  it('a problem status outside 4xx-5xx is refused', () => {
    const problem = { type: 'about:blank', title: 'OK', status: 200, code: 'NOT_FOUND' };
    expect(Value.Check(Problem, problem)).toBe(false);
  });
});
