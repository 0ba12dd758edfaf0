import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelInspection } from '../../../../shared/models';
import { fileInsideModel } from './contained';
import { ModelFormatError } from './errors';
import { folderInspectionFields, readFolderTokenizer } from './folder-tokenizer';
import { findModelCode, modelCodeWarning } from './model-code';
import { readmeLicense } from './readme-license';
import { elementCount, readSafetensorsHeader, type SafetensorsHeader } from './safetensors';
import type { InspectedModel } from './types';
import {
  asString,
  baseInspection,
  dominantType,
  folderModelName,
  groupTensorTypes,
  isFile,
  isRecord,
  jsonRecord,
  modelFiles,
  pickNumber,
  readJsonFile,
  tensorFamily,
  type TensorEntry,
} from './util';

export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
/** Weights in formats Whittle does not read; left out of the model's files. */
const OTHER_WEIGHTS = /(\.bin|\.pth|\.pt|\.ckpt|\.h5|\.msgpack|\.gguf|\.onnx|\.onnx_data|\.onnx\.data|\.ot|\.tflite|\.mlmodel)$/i;

/** The safetensors shards of a folder: those the index names (each must exist), else every top-level *.safetensors. */
export async function safetensorsShards(dir: string): Promise<{ shards: string[]; index: { path: string; weightMap: Record<string, string> } | null }> {
  const indexPath = join(dir, SAFETENSORS_INDEX);
  if (await isFile(indexPath)) {
    const index = await readJsonFile(indexPath);
    const weightMap = isRecord(index) ? index.weight_map : undefined;
    if (!isRecord(weightMap)) throw new ModelFormatError(`${indexPath}: weight_map is missing or not an object`, indexPath);
    const names = [...new Set(Object.values(weightMap))];
    if (names.length === 0 || !names.every((n): n is string => typeof n === 'string' && n.length > 0)) {
      throw new ModelFormatError(`${indexPath}: weight_map must map tensor names to shard file names`, indexPath);
    }
    const shards: string[] = [];
    for (const name of names.sort()) {
      // Shard names come from the index: never absolute, `..` or a link out of the folder.
      const shard = await fileInsideModel(dir, name, indexPath, 'shard');
      if (!(await isFile(shard))) throw new ModelFormatError(`${indexPath}: names shard ${name} but ${shard} is missing`, shard);
      shards.push(shard);
    }
    return { shards, index: { path: indexPath, weightMap: weightMap as Record<string, string> } };
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const shards: string[] = [];
  for (const e of entries) if (e.name.endsWith('.safetensors') && (await isFile(join(dir, e.name)))) shards.push(join(dir, e.name));
  return { shards: shards.sort(), index: null };
}

/** Every tensor the index names must be in the shard it names. */
function checkIndexAgainstHeaders(dir: string, index: { path: string; weightMap: Record<string, string> }, headers: readonly SafetensorsHeader[]): void {
  const byFile = new Map(headers.map((h) => [h.file, new Set(h.tensors.map((t) => t.name))]));
  for (const [tensor, shardName] of Object.entries(index.weightMap)) {
    const shard = join(dir, shardName);
    if (!byFile.get(shard)?.has(tensor)) {
      throw new ModelFormatError(`${index.path}: tensor ${tensor} should be in ${shard} but that shard does not hold it`, shard);
    }
  }
}

export function configFacts(config: Record<string, unknown>): Partial<ModelInspection> & { sub: Record<string, unknown> } {
  // Multimodal configs keep the language model's numbers under text_config (or llm_config).
  const text = [config.text_config, config.llm_config, config.language_config].find(isRecord) ?? {};
  const num = (...keys: string[]) => pickNumber(config, ...keys) ?? pickNumber(text, ...keys);
  const headCount = num('num_attention_heads', 'n_head', 'num_heads');
  return {
    sub: text,
    contextLength: num('max_position_embeddings', 'n_positions', 'max_sequence_length', 'seq_length', 'n_ctx'),
    vocabSize: num('vocab_size', 'padded_vocab_size'),
    layerCount: num('num_hidden_layers', 'n_layer', 'num_layers'),
    embeddingLength: num('hidden_size', 'n_embd', 'd_model'),
    headCount,
    headCountKv: num('num_key_value_heads', 'num_kv_heads', 'multi_query_group_num') ?? headCount,
  };
}

/** Inspects a Hugging Face transformers folder (config.json + safetensors + tokenizer) without loading weights. */
export async function inspectHfFolder(path: string): Promise<InspectedModel> {
  const dir = resolve(path);
  const configPath = join(dir, 'config.json');
  if (!(await isFile(configPath))) {
    throw new ModelFormatError(`${dir}: no config.json — expected a Hugging Face model folder (config.json + *.safetensors)`, dir);
  }
  const configRaw = await readJsonFile(configPath);
  if (!isRecord(configRaw)) throw new ModelFormatError(`${configPath}: not a JSON object`, configPath);
  const config = configRaw;

  const { shards, index } = await safetensorsShards(dir);
  if (shards.length === 0) {
    const entries = await readdir(dir);
    const bin = entries.some((n) => /^pytorch_model.*\.bin$/.test(n));
    throw new ModelFormatError(
      bin
        ? `${dir}: only PyTorch .bin weights — Whittle reads *.safetensors (convert them with transformers' save_pretrained(safe_serialization=True))`
        : `${dir}: no *.safetensors weights next to config.json`,
      dir,
    );
  }
  const headers = await Promise.all(shards.map((s) => readSafetensorsHeader(s)));
  if (index) checkIndexAgainstHeaders(dir, index, headers);

  const warnings: string[] = [];
  const entries: TensorEntry[] = [];
  let parameterCount = 0;
  for (const h of headers) {
    for (const t of h.tensors) {
      const n = elementCount(t.shape);
      parameterCount += n;
      entries.push({ family: tensorFamily(t.name), type: t.dtype, parameters: n });
    }
  }
  const tensorTypes = groupTensorTypes(entries);

  const tokenizer = await readFolderTokenizer(dir);
  warnings.push(...tokenizer.warnings);
  const facts = configFacts(config);
  const shared = folderInspectionFields(facts, tokenizer, warnings);

  const modelCode = await findModelCode(dir);
  if (modelCode) warnings.push(modelCodeWarning(modelCode));

  const readme = join(dir, 'README.md');
  const { license, warning: licenseWarning } = await readmeLicense(readme);
  if (licenseWarning) warnings.push(licenseWarning);

  const quantConfig = isRecord(config.quantization_config) ? config.quantization_config : null;
  let quantization = dominantType(tensorTypes);
  if (quantConfig) {
    const method = asString(quantConfig.quant_method) ?? 'quantized';
    const bits = pickNumber(quantConfig, 'bits', 'w_bit');
    quantization = bits ? `${method} int${bits}` : method;
    warnings.push(`quantized with ${method}: the parameter count counts packed tensors, not original weights`);
  }
  const architectures = Array.isArray(config.architectures) ? config.architectures.filter((a) => typeof a === 'string') : [];
  const torchDtype = asString(config.torch_dtype) ?? asString(config.dtype) ?? asString(facts.sub.torch_dtype);

  const shardSet = new Set(shards);
  const top = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const e of top) {
    const f = join(dir, e.name);
    if (e.name.startsWith('.') || !(await isFile(f))) continue;
    if (e.name.endsWith('.safetensors') ? !shardSet.has(f) : OTHER_WEIGHTS.test(e.name)) continue;
    files.push(f);
  }
  files.sort();
  const listed = await modelFiles(dir, files);

  const inspection: ModelInspection = {
    ...baseInspection('hf'),
    architecture: architectures[0] ?? asString(config.model_type),
    name: folderModelName(dir),
    parameterCount,
    quantization,
    tensorTypes,
    sizeBytes: listed.sizeBytes,
    files: listed.files,
    ...shared,
    license,
    extra: jsonRecord({
      modelType: config.model_type,
      architectures: architectures.length > 1 ? architectures : undefined,
      torchDtype,
      transformersVersion: config.transformers_version,
      shards: shards.length,
      ropeTheta: config.rope_theta ?? facts.sub.rope_theta,
      ropeScaling: config.rope_scaling ?? facts.sub.rope_scaling,
      tieWordEmbeddings: config.tie_word_embeddings,
      quantizationConfig: quantConfig,
      tokenizerClass: tokenizer.tokenizerClass,
      chatTemplateSource: tokenizer.chatTemplateSource,
      otherChatTemplates: tokenizer.otherChatTemplates.length > 0 ? tokenizer.otherChatTemplates : undefined,
    }),
    warnings,
    modelCode,
  };
  return { root: dir, entry: dir, files, inspection };
}
