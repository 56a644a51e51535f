// Lint: ESLint with typescript-eslint's type-aware strict rules, chosen over Biome because the rules that matter
// most here (floating promises, unsafe `any`, template expressions of the wrong type) need the TypeScript type
// checker, which only typescript-eslint runs. Prettier owns the layout (eslint-config-prettier turns off the rules
// that would fight it). Two limits Prettier cannot keep are checked here: no line of src/ over 120 characters (a
// long message is split into its sentences, not left on one line), and no function of src/ over 80 lines.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const testRunner = { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  prettier,
  {
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // A rest sibling leaves a key out on purpose (`const { secret, ...shown } = x`); `_name` is unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [testRunner] }],
      // With noUncheckedIndexedAccess, every index inside its own loop bounds (`text[i]` for i < length) is typed
      // as possibly undefined; `!` says what the loop already guarantees, and the type checker still covers every
      // other access. The parsers' hot loops stay free of needless checks.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/emulator/**'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false }] },
  },
  {
    // One clock: every "now" and every wait of sso-sync goes through the injected Clock (src/clock/clock.ts), so
    // that tests run it on fake time. The emulator keeps its own real time: it plays the service.
    files: ['src/**/*.ts'],
    ignores: ['src/clock/**', 'src/emulator/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Take the time from the injected Clock (clock.now()).' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Wait through the injected Clock (clock.sleep, clock.setTimer).' },
        { name: 'setInterval', message: 'Wait through the injected Clock (clock.setTimer).' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Take the time from the injected Clock: new Date(clock.now()).',
        },
      ],
      'no-restricted-imports': [
        'error',
        { name: 'node:timers/promises', message: 'Wait through the injected Clock.' },
        { name: 'node:timers', message: 'Wait through the injected Clock.' },
      ],
    },
  },
  {
    // Tests and benchmarks: a test's name or expected text may be a long sentence, and a fake of an async
    // interface answers at once.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@stylistic/max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
