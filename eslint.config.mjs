import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.aiml/**', 'coverage/**', 'jest.config.js', 'bin/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no console.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflow code may not import Node built-ins.' },
            { group: ['fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'stream', 'util', 'worker_threads'], message: 'Workflow code may not import Node built-ins.' },
            { group: ['../activities', '../activities/*'], importNamePattern: '^(?!type)', message: 'Import activity types only (import type).', allowTypeImports: true },
            { group: ['openai', '../llm/*', '../storage/*', '../temporal/*'], message: 'Workflow code does no I/O: call an activity.' },
          ],
        },
      ],
    },
  },
);
