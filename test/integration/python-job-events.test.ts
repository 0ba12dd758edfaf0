import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runPythonJob, type PythonArtifact, type PythonMetric } from '../../electron/engine/toolchain/python-job';
import { pythonResourcesDir } from '../../electron/engine/toolchain/resources';
import { pythonEnv } from '../fixtures/python-models';

/** A throwaway job module, run from a copy of resources/python (WHITTLE_RESOURCES) so nothing test-only ships. */
const PROBE = `
from . import protocol

def main():
    for step in range(1, 4):
        protocol.metric("loss", 1.0 / step, step=step)
    protocol.metric("size", 42, "bytes")
    protocol.metric("label", "fp16")
    protocol.artifact("out.bin", "test-output", note="x")
    protocol.result(ok=True)

protocol.run(main)
`;

describe('Python job events', () => {
  let python: string;
  let resources: string;
  before(async () => {
    python = (await pythonEnv()).paths.python;
    resources = mkdtempSync(join(tmpdir(), 'whittle-pyevents-'));
    cpSync(pythonResourcesDir(), join(resources, 'python'), { recursive: true, filter: (src) => !src.includes('__pycache__') && !src.includes('.venv') });
    writeFileSync(join(resources, 'python', 'whittle_jobs', 'events_probe.py'), PROBE);
  });
  after(() => rmSync(resources, { recursive: true, force: true }));

  test('metric and artifact lines reach the hooks as they arrive, and the aggregated result stays', async () => {
    const metrics: PythonMetric[] = [];
    const artifacts: PythonArtifact[] = [];
    const run = await runPythonJob(python, 'events_probe', [], {
      env: { ...process.env, WHITTLE_RESOURCES: resources },
      cwd: resources,
      metric: (m) => metrics.push(m),
      artifact: (a) => artifacts.push(a),
    });
    assert.deepEqual(metrics, [
      { name: 'loss', value: 1, unit: null, step: 1 },
      { name: 'loss', value: 0.5, unit: null, step: 2 },
      { name: 'loss', value: 1 / 3, unit: null, step: 3 },
      { name: 'size', value: 42, unit: 'bytes', step: null },
      { name: 'label', value: 'fp16', unit: null, step: null },
    ]);
    assert.deepEqual(artifacts, [{ path: join(resources, 'out.bin'), kind: 'test-output', meta: { note: 'x' } }]);
    assert.deepEqual(run.metrics.loss, { value: 1 / 3, unit: null });
    assert.deepEqual(run.metrics.size, { value: 42, unit: 'bytes' });
    assert.deepEqual(run.artifacts, artifacts);
    assert.deepEqual(run.result, { ok: true });
  });
});
