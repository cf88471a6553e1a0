// The code's shape, checked by `npm test` (lint): no import cycles, and each side effect behind its one
// seam: processes spawn only in runner/ (and the doctor's seams), chokidar lives in watch/, the terminal
// belongs to cli/, and only cli/ reaches into the composition root (daemon/).
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const CHILD_PROCESS = { name: 'node:child_process', message: 'Only runner/ (and the seams of doctor/) start processes.' };
const CHILD_PROCESS_BARE = { name: 'child_process', message: 'Only runner/ (and the seams of doctor/) start processes.' };
const CHOKIDAR = { name: 'chokidar', message: 'The watcher lives in watch/: take note events from there.' };
const DAEMON = { group: ['**/daemon/*'], message: 'daemon/ is the composition root: only cli/ uses it. Depend on the stage you need.' };

/** `no-restricted-imports` with the given paths and patterns (one rule: a later block replaces it whole). */
const restrict = (paths, patterns = []) => ['error', { paths, patterns }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    plugins: { 'import-x': importX },
    settings: { 'import-x/extensions': ['.ts'], 'import-x/resolver': { node: { extensions: ['.ts'] } } },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-console': 'error',
      // Control characters in patterns are deliberate here: names and prompts are cleaned of them.
      'no-control-regex': 'off',
      'no-restricted-imports': restrict([CHILD_PROCESS, CHILD_PROCESS_BARE, CHOKIDAR], [DAEMON]),
      // Unused values are errors; a leading underscore marks one kept on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/runner/**/*.ts', 'src/doctor/seams.ts'], rules: { 'no-restricted-imports': restrict([CHOKIDAR], [DAEMON]) } },
  { files: ['src/watch/**/*.ts'], rules: { 'no-restricted-imports': restrict([CHILD_PROCESS, CHILD_PROCESS_BARE], [DAEMON]) } },
  { files: ['src/daemon/**/*.ts'], rules: { 'no-restricted-imports': restrict([CHILD_PROCESS, CHILD_PROCESS_BARE, CHOKIDAR]) } },
  { files: ['src/cli/**/*.ts'], rules: { 'no-console': 'off', 'no-restricted-imports': restrict([CHILD_PROCESS, CHILD_PROCESS_BARE, CHOKIDAR]) } },
);
