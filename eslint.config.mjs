// Lint enforces the workflow sandbox as a folder rule: code that Temporal bundles into workflows may import only
// @temporalio/workflow, each other, and types from elsewhere.
import tseslint from 'typescript-eslint';

const sandboxFolders = ['workflows/**/*.ts', 'events/**/*.ts', 'triggers/**/*.ts', 'deployments/**/*.ts'];
const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'crypto',
  'http',
  'https',
  'net',
  'child_process',
  'stream',
  'process',
  'events',
  'buffer',
  'zlib',
  'worker_threads',
  'timers',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'tools/', '.data/', 'coverage/', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: sandboxFolders,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.flatMap((name) => [
            { name, message: 'Workflow-sandbox code cannot use Node built-ins; do the I/O in an activity.' },
            {
              name: `node:${name}`,
              message: 'Workflow-sandbox code cannot use Node built-ins; do the I/O in an activity.',
            },
          ]),
          patterns: [
            {
              group: [
                '**/activities/**',
                '**/activities',
                '**/db/**',
                '**/db',
                '**/templates/**',
                '**/templates',
                '**/api/**',
                '**/ingest/**',
                '**/config/**',
              ],
              allowTypeImports: true,
              message:
                'Sandbox code may import only types from activities/, db/, templates/, api/, ingest/ and config/.',
            },
            {
              group: [
                '@temporalio/activity',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/testing',
                'nunjucks',
                'better-sqlite3',
                'pg',
                'kysely',
                'koa',
              ],
              allowTypeImports: true,
              message: 'Sandbox code may import only @temporalio/workflow at runtime.',
            },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
