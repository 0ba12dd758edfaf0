import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { repoRoot } from '../helpers/paths';

// The layering rules need no types; the snippets are files no tsconfig includes, so type-aware rules are off here.
const eslint = new ESLint({ cwd: repoRoot, overrideConfig: [tseslint.configs.disableTypeChecked] });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals').map((m) => m.message);
}

async function assertBlocked(filePath: string, code: string): Promise<void> {
  const found = await problems(filePath, code);
  assert.ok(found.length >= 1, `expected ${filePath} to be refused for:\n${code}`);
}

test('the engine may not import electron', async () => {
  const found = await problems('electron/engine/jobs/bad.ts', "import { app } from 'electron';\nexport const x = app;\n");
  assert.equal(found.length, 1);
  assert.match(found[0]!, /engine must run without it/);
  await assertBlocked('electron/engine/jobs/bad.ts', "import { ipcMain } from 'electron/main';\nexport const x = ipcMain;\n");
});

test('shared/ may not import electron, Node or DOM APIs', async () => {
  await assertBlocked('shared/bad.ts', "import { app } from 'electron';\nexport const x = app;\n");
  await assertBlocked('shared/bad.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
  await assertBlocked('shared/bad.ts', "import path from 'path';\nexport const x = path;\n");
  await assertBlocked('shared/bad.ts', 'export const x = () => document.title;\n');
  await assertBlocked('shared/bad.ts', 'export const x = () => process.env.HOME;\n');
  await assertBlocked('shared/bad.ts', 'export const x = () => window.localStorage;\n');
});

test('the renderer may not import the engine, Node or electron', async () => {
  await assertBlocked('renderer/src/bad.ts', "import { startEngine } from '../../electron/engine';\nexport const x = startEngine;\n");
  await assertBlocked(
    'renderer/src/features/jobs/bad.ts',
    "import { JobRunner } from '../../../../electron/engine/jobs/runner';\nexport const x = JobRunner;\n",
  );
  await assertBlocked('renderer/src/bad.ts', "import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n");
  await assertBlocked('renderer/src/bad.ts', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n");
});

test('the engine may not import the tRPC router, only the file that builds the transport', async () => {
  const found = await problems('electron/engine/jobs/bad.ts', "import { NotFoundError } from '../../../shared/api/router';\nexport const x = NotFoundError;\n");
  assert.equal(found.length, 1);
  assert.match(found[0]!, /must not depend on the transport/);
  await assertBlocked('electron/engine/models/bad.ts', "import type { AppRouter } from '../../../shared/api/router';\nexport type X = AppRouter;\n");
  await assertBlocked('electron/engine/server/openai-routes.ts', "import { appRouter } from '../../../shared/api/router.ts';\nexport const x = appRouter;\n");
  assert.deepEqual(
    await problems(
      'electron/engine/server/http-server.ts',
      "import { appRouter, type AppRouter } from '../../../shared/api/router';\nexport const x: AppRouter = appRouter;\n",
    ),
    [],
  );
  assert.deepEqual(
    await problems(
      'electron/engine/jobs/ok.ts',
      "import { ConflictError, NotFoundError } from '../../../shared/errors';\nexport const x = [ConflictError, NotFoundError];\n",
    ),
    [],
  );
});

test('the allowed imports pass', async () => {
  assert.deepEqual(await problems('renderer/src/ok.ts', "import type { AppRouter } from '../../shared/api/router';\nexport type X = AppRouter;\n"), []);
  assert.deepEqual(await problems('electron/main/ok.ts', "import { app } from 'electron';\nexport const x = app;\n"), []);
  assert.deepEqual(await problems('electron/engine/ok.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"), []);
  assert.deepEqual(
    await problems('shared/ok.ts', "import { z } from 'zod';\nexport const x = z.string();\nexport const y = new URL('http://127.0.0.1');\n"),
    [],
  );
});

test('worker-side job code may not open the library database', async () => {
  const found = await problems('electron/engine/models/jobs/bad.ts', "import { openDatabase } from '../../store/database';\nexport const x = openDatabase;\n");
  assert.equal(found.length, 1);
  assert.match(found[0]!, /resolve what the job needs/);
  await assertBlocked('electron/engine/hub/jobs/bad.ts', "import { ArtifactsStore } from '../../store/artifacts-store';\nexport const x = ArtifactsStore;\n");
  // The supervisor side (a kind's resolver) reads the library.
  assert.deepEqual(
    await problems(
      'electron/engine/models/job-kinds-extra.ts',
      "import { ArtifactsStore } from '../store/artifacts-store';\nexport const x = ArtifactsStore;\n",
    ),
    [],
  );
});
