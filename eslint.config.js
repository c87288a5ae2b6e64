// One lint setup for the whole repository: typescript-eslint's recommended rules on every .ts file, Vue's
// recommended rules (layout left to Prettier) on every .vue file with TypeScript in <script>, and the layering
// rule of docs/architecture.md (lint/layering.js) on everything under src/.
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';
import layering, { HOST_GLOBALS } from './lint/layering.js';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  pluginVue.configs['no-layout-rules'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      // Optional props typed in defineProps<...>() are `undefined` when absent: that is their default.
      'vue/require-default-prop': 'off',
    },
  },
  {
    files: ['src/**/*.{ts,vue}'],
    plugins: { lab: layering },
    rules: { 'lab/layering': 'error' },
  },
  {
    // Runs in the worker, in Node and in the browser: no host globals (imports are checked by lab/layering).
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...HOST_GLOBALS.map((name) => ({
          name,
          message: 'src/shared runs in every host: pass what you need in from the caller.',
        })),
      ],
    },
  },
);
