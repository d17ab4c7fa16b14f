// ESLint 9 flat config, run as `eslint -c .ci/eslint.config.mjs .` (npm run lint).
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// With -c, ESLint resolves patterns against the working directory; anchoring
// them to the repository root makes the result the same from any folder.
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// TypeScript checks names itself (typescript-eslint turns no-undef off for .ts);
// .mjs files need to be told which globals Node provides.
const NODE_GLOBALS = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate'].map(
    (name) => [name, 'readonly'],
  ),
);

export default defineConfig([
  {
    basePath: repoRoot,
    ignores: ['dist/', 'node_modules/', '.stagegate/', '.serverless/', '.esbuild/', 'coverage/', 'bench/results/'],
  },
  {
    basePath: repoRoot,
    files: ['**/*.ts', '**/*.mjs'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: NODE_GLOBALS },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
]);
