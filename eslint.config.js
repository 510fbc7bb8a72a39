// One flat config for the whole monorepo. Type-checked rules use each package's tsconfig.json
// (projectService); the engine gets an extra block that keeps it pure and deterministic.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeIoModules = [
  'fs',
  'fs/promises',
  'net',
  'dgram',
  'dns',
  'http',
  'https',
  'http2',
  'tls',
  'child_process',
  'cluster',
  'worker_threads',
  'os',
  'process',
  'readline',
  'perf_hooks',
  'timers',
  'timers/promises',
];

export default tseslint.config(
  {
    ignores: ['**/node_modules/', '**/dist/', '**/coverage/', '**/.turbo/', '**/src/generated/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The engine takes time and a seed as inputs: no wall clock, no ambient randomness,
    // no timers, no logging, no I/O. Same seed + same commands = the same trace.
    files: ['packages/engine/src/**/*.ts'],
    ignores: ['packages/engine/src/**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'The engine takes time as an argument (virtual microseconds).' },
        { name: 'performance', message: 'The engine takes time as an argument.' },
        { name: 'setTimeout', message: 'Timers belong to the host: return the next deadline.' },
        { name: 'setInterval', message: 'Timers belong to the host: return the next deadline.' },
        { name: 'setImmediate', message: 'Timers belong to the host: return the next deadline.' },
        { name: 'queueMicrotask', message: 'The engine is synchronous and deterministic.' },
        { name: 'console', message: 'The engine reports through trace events, not logs.' },
        { name: 'process', message: 'The engine does no I/O and reads no environment.' },
        { name: 'crypto', message: 'Use the seeded PRNG of the simulation.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded PRNG of the simulation.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: nodeIoModules.flatMap((name) => [
            { name, message: 'The engine does no I/O.' },
            { name: `node:${name}`, message: 'The engine does no I/O.' },
          ]),
          patterns: [{ group: ['node:*'], message: 'The engine does no I/O.' }],
        },
      ],
    },
  },
);
