// Lint rules: typescript-eslint's recommended set, plus the purity rule for the raft core
// (no clock, no randomness, no timers, no node:* I/O — everything arrives as a tick or a message).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['raft/core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error',
        { name: 'Date', message: 'raft/core reads no clock: time arrives as ticks.' },
        { name: 'setTimeout', message: 'raft/core has no timers.' },
        { name: 'setInterval', message: 'raft/core has no timers.' },
        { name: 'setImmediate', message: 'raft/core has no timers.' },
        { name: 'queueMicrotask', message: 'raft/core is synchronous.' },
        { name: 'process', message: 'raft/core does no I/O.' },
        { name: 'Promise', message: 'raft/core is synchronous.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'raft/core takes a seeded rng.' },
      ],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'net', 'crypto', 'zlib', 'os', 'path'] }],
      'no-restricted-syntax': ['error',
        { selector: 'FunctionDeclaration[async=true]', message: 'raft/core is synchronous.' },
        { selector: 'ArrowFunctionExpression[async=true]', message: 'raft/core is synchronous.' },
        { selector: 'FunctionExpression[async=true]', message: 'raft/core is synchronous.' },
      ],
    },
  },
);
