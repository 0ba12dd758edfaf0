// Lint, including the layering rules from the design: a file's folder says where it runs and what it may import.
//   shared/          pure contract: no electron, no Node, no DOM
//   renderer/        browser: shared/ only, never the engine, Node or electron
//   electron/engine  Node: never electron, never the renderer, never the tRPC router (the transport) but in server/http-server.ts
//   electron/engine-host, electron/cli: Node over the engine, never electron (the engine host runs in a utility process or plain Node)
//   electron/main, electron/preload: the only places that import electron
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [...builtinModules.filter((m) => !m.startsWith('_')), ...builtinModules.map((m) => `node:${m}`)];
const electronImports = {
  paths: [{ name: 'electron', message: 'Only electron/main and electron/preload may import electron: the engine must run without it.' }],
  patterns: [{ group: ['electron/*'], message: 'Only electron/main and electron/preload may import electron.' }],
};
const nodeImports = nodeBuiltins.map((name) => ({ name, message: 'shared/ and renderer/ must not use Node APIs.' }));
const engineImports = [{ group: ['**/electron/**', '**/electron'], message: 'The renderer talks to the engine only through the typed API in shared/.' }];
const rendererImports = [{ group: ['**/renderer/**'], message: 'The engine must not import the renderer.' }];
// The tRPC router is the transport: the engine's error classes live in shared/errors.ts, and only the file that
// builds the HTTP/tRPC server may import the router.
const routerImports = [
  {
    group: ['**/shared/api/router', '**/shared/api/router.*'],
    message:
      'The engine must not depend on the transport: import errors from shared/errors; only electron/engine/server/http-server.ts may import shared/api/router.',
  },
];
const transportFiles = ['electron/engine/server/http-server.ts'];
// A job's worker gets the library records it works on from its kind's resolver (the supervisor's side): it never opens whittle.db.
const storeImports = [
  {
    group: ['**/store/*', '**/store'],
    message: "Worker-side job code must not open the library database: resolve what the job needs in its kind's `resolve` (job-kinds.ts).",
  },
];
const workerJobFiles = ['electron/engine/*/jobs/**/*.ts'];

// Globals that only exist in a browser or in Node: the shared contract may use neither.
const esGlobals = new Set(Object.keys(globals.es2023));
const platformGlobals = [...new Set([...Object.keys(globals.browser), ...Object.keys(globals.node)])].filter(
  (g) =>
    !esGlobals.has(g) &&
    ![
      'console',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'queueMicrotask',
      'structuredClone',
      'AbortController',
      'AbortSignal',
      'URL',
      'URLSearchParams',
      'TextEncoder',
      'TextDecoder',
      'Event',
      'EventTarget',
    ].includes(g),
);

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-output/**', '.cache/**', 'test/lint-fixtures/**'] },
  js.configs.recommended,
  // Type-aware rules (floating promises, unsafe any, misused promises…) for every TypeScript file, through the
  // project service (each file is checked with the tsconfig that includes it).
  ...tseslint.configs.recommendedTypeChecked,
  { languageOptions: { parserOptions: { project: ['./tsconfig.node.json', './tsconfig.web.json'], tsconfigRootDir: import.meta.dirname } } },
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
    },
  },
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: globals.node } },
  { files: ['bin/**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [...electronImports.paths, ...nodeImports], patterns: [...electronImports.patterns, ...engineImports, ...rendererImports] },
      ],
      'no-restricted-globals': ['error', ...platformGlobals.map((name) => ({ name, message: 'shared/ must not use Node or DOM APIs.' }))],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { paths: [...electronImports.paths, ...nodeImports], patterns: [...electronImports.patterns, ...engineImports] }],
    },
  },
  {
    files: ['electron/engine/**/*.ts', 'electron/cli/**/*.ts', 'electron/engine-host/**/*.ts'],
    languageOptions: { globals: globals.node },
    rules: {
      'no-restricted-imports': ['error', { paths: electronImports.paths, patterns: [...electronImports.patterns, ...rendererImports] }],
    },
  },
  {
    files: ['electron/engine/**/*.ts'],
    ignores: transportFiles,
    rules: {
      'no-restricted-imports': ['error', { paths: electronImports.paths, patterns: [...electronImports.patterns, ...rendererImports, ...routerImports] }],
    },
  },
  {
    files: workerJobFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: electronImports.paths, patterns: [...electronImports.patterns, ...rendererImports, ...routerImports, ...storeImports] },
      ],
    },
  },
  { files: ['electron/main/**/*.ts', 'electron/preload/**/*.ts', 'test/**/*.ts', 'scripts/**/*.mjs'], languageOptions: { globals: globals.node } },
  prettier,
);
