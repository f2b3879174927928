// Lint: typescript-eslint's recommended rules, no floating promises in src/, and the layer rules of
// docs/ARCHITECTURE.md: src/core never imports vscode, and its folders import only floors below their own
// (eslint/floors.mjs). test/unit/layers.test.ts checks the same independently.
import tseslint from 'typescript-eslint';
import floors from './eslint/floors.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.scratch/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    plugins: { local: floors },
    rules: { 'local/floors': 'error' },
  },
  {
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/protocol/**/*.ts', 'src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension may import vscode (design/architecture.md).' }] }],
    },
  },
);
