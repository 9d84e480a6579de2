// Lint rules for every part: the TypeScript-aware recommended set, plus rules that keep
// failure paths visible (no floating promises would need type info; we keep the fast syntactic set).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.tmp/**', 'data/**', 'coverage/**', 'test/browser/.host/**', 'test/browser/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['plugin/src/**/*.{ts,tsx}', 'test/browser/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
