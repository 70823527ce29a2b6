// Lint enforces the workflow sandbox as a folder rule, by allow-list: workflow files may import only the
// sandbox-safe core and Temporal's workflow and common packages; core imports only itself and the pure libraries
// listed here. Everything else (Node built-ins, services, db, templates, drivers) is refused, types included, so
// nothing in the sandbox points back up a layer. test/architecture/imports.test.ts checks the same with cycles.
import tseslint from 'typescript-eslint';

/** Packages the sandbox may import: pure, with no Node built-ins, and safe to bundle into workflows. */
const sandboxPackages = ['@temporalio/workflow', '@temporalio/common', 'zod', '@noble/hashes/legacy.js'];
const packages = sandboxPackages.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
const sandboxRule = (local, message, allowed = packages) => [
  'error',
  { patterns: [{ regex: `^(?!(${allowed})$|${local}).*`, message }] },
];
/** The workflow interceptors of tracing (bundled only when tracing is on) may use the OpenTelemetry API too. */
const tracingPackages = `${packages}|@opentelemetry/api`;

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
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': sandboxRule(
        '\\./|\\.\\./core/',
        'Workflow code may import only ./, ../core/ and ' + sandboxPackages.join(', ') + '; do I/O in an activity.',
      ),
      'no-console': 'error',
    },
  },
  {
    files: ['workflows/tracing/**/*.ts'],
    rules: {
      'no-restricted-imports': sandboxRule(
        '\\./|\\.\\./(?!\\.\\.)|\\.\\./\\.\\./core/',
        'Workflow interceptors may import only workflows/, core/, @opentelemetry/api and ' +
          sandboxPackages.join(', ') +
          '.',
        tracingPackages,
      ),
      'no-console': 'error',
    },
  },
  {
    files: ['core/*.ts'],
    rules: {
      'no-restricted-imports': sandboxRule(
        '\\./',
        'core/ may import only core/ and ' + sandboxPackages.join(', ') + '.',
      ),
      'no-console': 'error',
    },
  },
  {
    files: ['core/*/**/*.ts'],
    rules: {
      'no-restricted-imports': sandboxRule(
        '\\./|\\.\\./(?!\\.\\.)',
        'core/ may import only core/ and ' + sandboxPackages.join(', ') + '.',
      ),
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
