// Lint rules for the whole monorepo. The pure cores (paxos, site) get import bans on top:
// no I/O, no clock and no randomness — those are injected (docs/STYLE.md rule 1).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impureModules = [
  'fs',
  'net',
  'http',
  'https',
  'ws',
  'timers',
  'child_process',
  'winston',
  'dgram',
  'os',
];
const pureBans = {
  'no-restricted-imports': [
    'error',
    {
      paths: impureModules.flatMap((name) => [
        { name, message: 'The pure core does no I/O: inject it from the process layer.' },
        {
          name: `node:${name}`,
          message: 'The pure core does no I/O: inject it from the process layer.',
        },
      ]),
      patterns: [
        {
          group: ['fs/*', 'node:fs/*', 'timers/*', 'node:timers/*'],
          message: 'The pure core does no I/O.',
        },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'Use ticks: only the process wrapper owns timers.' },
    { name: 'setInterval', message: 'Use ticks: only the process wrapper owns timers.' },
    { name: 'setImmediate', message: 'Use ticks: only the process wrapper owns timers.' },
    { name: 'performance', message: 'No clock in the pure core.' },
    { name: 'process', message: 'No process access in the pure core.' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'No clock in the pure core: time is tick().' },
    { object: 'Math', property: 'random', message: 'Inject the seeded PRNG instead.' },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date']", message: 'No clock in the pure core.' },
  ],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/*/bin/**', '.evpaxos/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  { files: ['packages/paxos/src/**/*.ts', 'packages/site/src/**/*.ts'], rules: pureBans },
);
