import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ModelFormatError } from './errors';
import { ggufSplit, hasGgufMagic, inspectGguf } from './gguf';
import { inspectHfFolder, SAFETENSORS_INDEX } from './hf-folder';
import { GENAI_CONFIG, inspectOnnxFolder } from './onnx';
import type { InspectedModel } from './types';
import { isFile } from './util';

export { ModelFormatError } from './errors';
export type { InspectedModel } from './types';

const EXPECTED =
  'expected a GGUF file, a Hugging Face folder (config.json + *.safetensors + tokenizer) or an ONNX folder (genai_config.json, or *.onnx + tokenizer)';
/** Files that stand for the folder holding them. */
const FOLDER_FILES = /(\.onnx|\.onnx\.data|\.onnx_data|\.safetensors|^config\.json|^genai_config\.json|^model\.safetensors\.index\.json)$/;

/**
 * Detects the format of a model file or folder and inspects it without loading weights.
 * Throws ModelFormatError when the path is not a model or its files are damaged.
 */
export async function inspectModel(path: string): Promise<InspectedModel> {
  const abs = resolve(path);
  const s = await stat(abs).catch(() => null);
  if (!s) throw new ModelFormatError(`${abs}: no such file or folder`, abs);
  if (s.isDirectory()) return inspectFolder(abs);
  if (!s.isFile()) throw new ModelFormatError(`${abs}: not a file or folder: ${EXPECTED}`, abs);
  if (/\.gguf$/i.test(abs) || (await hasGgufMagic(abs))) return inspectGguf(abs);
  if (FOLDER_FILES.test(basename(abs))) {
    const dir = dirname(abs);
    // onnx/model.onnx of a transformers.js folder: the model is the folder above, where the tokenizer is.
    const parent = dirname(dir);
    if (basename(dir) === 'onnx' && !(await isFile(join(dir, GENAI_CONFIG))) && (await isFile(join(parent, 'config.json')))) return inspectFolder(parent);
    return inspectFolder(dir);
  }
  throw new ModelFormatError(`${abs}: not a model file (it does not start with "GGUF"): ${EXPECTED}`, abs);
}

interface GgufModelInFolder {
  entry: string;
  files: string[];
}

/** The GGUF models of a folder, split sets counted once; mmproj (vision projector) files are left out. */
async function ggufModelsIn(dir: string, names: readonly string[]): Promise<{ models: GgufModelInFolder[]; projectors: string[] }> {
  const models = new Map<string, GgufModelInFolder>();
  const projectors: string[] = [];
  for (const name of [...names].sort()) {
    if (!/\.gguf$/i.test(name) || !(await isFile(join(dir, name)))) continue;
    if (/^mmproj/i.test(name)) {
      projectors.push(join(dir, name));
      continue;
    }
    const split = ggufSplit(join(dir, name));
    const entry = split?.parts[0] ?? join(dir, name);
    const model = models.get(entry) ?? { entry, files: [] };
    model.files.push(join(dir, name));
    models.set(entry, model);
  }
  return { models: [...models.values()], projectors };
}

async function inspectFolder(dir: string): Promise<InspectedModel> {
  const names = await readdir(dir);
  const has = (n: string) => names.includes(n);
  if (has(GENAI_CONFIG) || names.some((n) => n.endsWith('.onnx'))) return inspectOnnxFolder(dir);
  if (has('config.json') && (has(SAFETENSORS_INDEX) || names.some((n) => n.endsWith('.safetensors')))) return inspectHfFolder(dir);
  if (has('onnx')) {
    const sub = await readdir(join(dir, 'onnx')).catch(() => []);
    if (sub.some((n) => n.endsWith('.onnx'))) return inspectOnnxFolder(dir);
  }
  const { models, projectors } = await ggufModelsIn(dir, names);
  if (models.length === 1 && models[0]) {
    const result = await inspectGguf(models[0].entry);
    if (projectors.length > 0) {
      result.inspection.extra.mmproj = projectors.map((p) => relative(result.root, p));
    }
    return result;
  }
  if (models.length > 1) {
    const list = models.map((m) => basename(m.entry)).join(', ');
    throw new ModelFormatError(`${dir}: holds ${models.length} GGUF models (${list}): choose one file`, dir);
  }
  // Say what is missing rather than only what was expected.
  if (has('config.json')) return inspectHfFolder(dir);
  throw new ModelFormatError(`${dir}: not a model folder: ${EXPECTED}`, dir);
}
