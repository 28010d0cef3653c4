// ESLint flat config: JavaScript's and typescript-eslint's recommended rules on src/, test/ and
// scripts/, with Prettier owning the layout (eslint-config-prettier is not needed: the
// recommended sets contain no formatting rules).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.device/', 'demo-output/', 'runs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      // Unused arguments are common in declarative gradient specs; names starting with _ are intentional.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // A run, the action and the CLI read top to bottom: no function over 60 lines there (counted as
    // scripts/function-lengths.ts counts them: every line, comments and blank lines included).
    files: ['src/train/**/*.ts', 'src/action/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  {
    // Fakes of JSON services (GitHub's REST API, its OpenAPI description) handle untyped JSON.
    files: ['test/helpers/github-fake*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['test/**/*.cjs', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
