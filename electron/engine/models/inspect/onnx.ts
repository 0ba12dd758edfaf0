import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { ModelInspection } from '../../../../shared/models';
import { fileInsideModel } from './contained';
import { ModelFormatError } from './errors';
import { folderInspectionFields, readFolderTokenizer } from './folder-tokenizer';
import { configFacts } from './hf-folder';
import { ONNX_DATA_TYPES, OnnxParseError, readOnnxModel, type OnnxModelSummary } from './onnx-proto';
import { readmeLicense } from './readme-license';
import type { InspectedModel } from './types';
import {
  asString,
  baseInspection,
  dominantType,
  fileSize,
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

export const GENAI_CONFIG = 'genai_config.json';

/** ONNX data types as short names (the safetensors spelling), for tensorTypes. */
const SHORT_TYPE: Readonly<Record<string, string>> = {
  FLOAT: 'F32',
  FLOAT16: 'F16',
  BFLOAT16: 'BF16',
  DOUBLE: 'F64',
  INT8: 'I8',
  UINT8: 'U8',
  INT16: 'I16',
  UINT16: 'U16',
  INT4: 'I4',
  UINT4: 'U4',
};
/** Shape constants, indices and the like: not weights. */
const NOT_WEIGHTS = new Set(['INT32', 'INT64', 'UINT32', 'UINT64', 'STRING', 'BOOL']);
/** Per op: inputs that are quantization scales/zero points (not counted as parameters). */
const AUX_INPUTS: Readonly<Record<string, readonly number[]>> = {
  MatMulNBits: [1, 2, 3, 4],
  GatherBlockQuantized: [2, 3],
  DequantizeLinear: [1, 2],
  QuantizeLinear: [1, 2],
  DynamicQuantizeLinear: [],
  QLinearMatMul: [1, 2, 4, 5, 6, 7],
  QLinearConv: [1, 2, 4, 5, 6, 7],
  MatMulInteger: [2, 3],
  ConvInteger: [2, 3],
  DynamicQuantizeMatMul: [2, 3],
  MatMulIntegerToFloat: [2, 3, 4, 5],
};
const INT8_OPS = new Set([
  'DequantizeLinear',
  'QuantizeLinear',
  'DynamicQuantizeLinear',
  'QLinearMatMul',
  'QLinearConv',
  'MatMulInteger',
  'ConvInteger',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
]);

function onnxFamily(name: string): string {
  const n = name
    .replace(/^\/+/, '')
    .replace(/\//g, '.')
    .replace(/_(Q|q)\d+$/, '')
    .replace(/\.(MatMul|Gather|Add|Mul)(?=\.(weight|bias)$)/, '');
  return tensorFamily(n).replace(/_\d+$/, '');
}

export interface OnnxWeights {
  parameterCount: number | null;
  quantization: string | null;
  tensorTypes: ModelInspection['tensorTypes'];
  opCounts: Record<string, number>;
  blockSize: number | null;
}

/** Parameters, tensor types and the quantization of one or more ONNX graphs. */
export function summarizeOnnxWeights(models: readonly OnnxModelSummary[]): OnnxWeights {
  const entries: TensorEntry[] = [];
  const opCounts: Record<string, number> = {};
  const nbitsBits = new Set<number>();
  const intTypes = new Set<string>();
  let blockSize: number | null = null;
  let parameterCount = 0;
  for (const model of models) {
    const byName = new Map(model.initializers.map((t) => [t.name, t]));
    const aux = new Set<string>();
    const handled = new Set<string>();
    for (const node of model.nodes) {
      opCounts[node.opType] = (opCounts[node.opType] ?? 0) + 1;
      for (const i of AUX_INPUTS[node.opType] ?? []) {
        const input = node.inputs[i];
        if (input) aux.add(input);
      }
      if (INT8_OPS.has(node.opType)) {
        for (const input of node.inputs) {
          const t = byName.get(input);
          const type = t ? ONNX_DATA_TYPES[t.dataType] : undefined;
          if (type === 'INT4' || type === 'UINT4') intTypes.add('int4');
          else if (type === 'INT8' || type === 'UINT8') intTypes.add('int8');
        }
      }
      if (node.opType === 'MatMulNBits' || node.opType === 'GatherBlockQuantized') {
        const bits = node.ints.bits ?? 4;
        const weightInput = node.opType === 'MatMulNBits' ? node.inputs[1] : node.inputs[0];
        const weight = weightInput ? byName.get(weightInput) : undefined;
        if (!weight || handled.has(weight.name)) continue;
        handled.add(weight.name);
        if (node.opType === 'MatMulNBits') nbitsBits.add(bits);
        blockSize ??= node.ints.block_size ?? null;
        let params: number;
        if (node.opType === 'MatMulNBits' && node.ints.K !== undefined && node.ints.N !== undefined) params = node.ints.K * node.ints.N;
        else {
          const elements = weight.dims.reduce((a, b) => a * b, 1);
          params = ONNX_DATA_TYPES[weight.dataType] === 'UINT8' ? (elements * 8) / bits : elements;
        }
        parameterCount += params;
        entries.push({ family: onnxFamily(weight.name), type: `int${bits}`, parameters: params });
      }
    }
    for (const t of model.initializers) {
      const type = ONNX_DATA_TYPES[t.dataType] ?? `type ${t.dataType}`;
      if (handled.has(t.name) || aux.has(t.name) || NOT_WEIGHTS.has(type) || t.dims.length === 0) continue;
      const elements = t.dims.reduce((a, b) => a * b, 1);
      parameterCount += elements;
      entries.push({ family: onnxFamily(t.name), type: SHORT_TYPE[type] ?? type, parameters: elements });
    }
  }
  const tensorTypes = groupTensorTypes(entries);
  let quantization: string | null;
  if (nbitsBits.size > 0)
    quantization = [...nbitsBits]
      .sort((a, b) => a - b)
      .map((b) => `int${b}`)
      .join('+');
  else if (intTypes.size > 0) quantization = [...intTypes].sort().join('+');
  else {
    const dominant = dominantType(tensorTypes);
    quantization = dominant ? (({ F16: 'fp16', F32: 'fp32', BF16: 'bf16', F64: 'fp64' } as Record<string, string>)[dominant] ?? dominant.toLowerCase()) : null;
  }
  return { parameterCount: entries.length > 0 ? parameterCount : null, quantization, tensorTypes, opCounts, blockSize };
}

/** Reads an ONNX graph and checks that its external data files exist and hold every tensor. Returns the data files. */
async function readGraphChecked(file: string): Promise<{ summary: OnnxModelSummary; dataFiles: string[] }> {
  let summary: OnnxModelSummary;
  try {
    summary = readOnnxModel(file);
  } catch (err) {
    if (err instanceof OnnxParseError) throw new ModelFormatError(`${file}: not a valid ONNX model: ${err.message}`, file);
    throw new ModelFormatError(`${file}: cannot read the ONNX model (${(err as Error).message})`, file);
  }
  const dir = dirname(file);
  const sizes = new Map<string, number | null>();
  // Locations are relative to the graph's folder (as onnxruntime requires): never absolute, `..` or a link out.
  const located = new Map<string, string>();
  for (const t of summary.initializers) {
    if (!t.external) continue;
    const location = t.external.location;
    let data = located.get(location);
    if (data === undefined) {
      data = await fileInsideModel(dir, location, file, `external data location of tensor ${t.name.slice(0, 200)}`);
      located.set(location, data);
    }
    if (!sizes.has(data)) sizes.set(data, await fileSize(data));
    const size = sizes.get(data) ?? null;
    if (size === null) {
      throw new ModelFormatError(`${file}: tensor ${t.name} is stored in ${t.external.location} but ${data} is missing`, data);
    }
    const end = t.external.offset + (t.external.length ?? 0);
    if (end > size) {
      throw new ModelFormatError(`${data}: tensor ${t.name} ends at byte ${end} but the file is ${size} bytes: the file is truncated`, data);
    }
  }
  return { summary, dataFiles: [...sizes.keys()] };
}

function providersOf(sessionOptions: unknown): string[] {
  if (!isRecord(sessionOptions) || !Array.isArray(sessionOptions.provider_options)) return [];
  return sessionOptions.provider_options.filter(isRecord).flatMap((p) => Object.keys(p));
}

/** Inspects an onnxruntime-genai folder (genai_config.json) or a transformers.js-style folder (*.onnx or onnx/*.onnx + tokenizer). */
export async function inspectOnnxFolder(path: string): Promise<InspectedModel> {
  const dir = resolve(path);
  const genaiPath = join(dir, GENAI_CONFIG);
  return (await isFile(genaiPath)) ? inspectGenai(dir, genaiPath) : inspectPlainOnnx(dir);
}

async function inspectGenai(dir: string, genaiPath: string): Promise<InspectedModel> {
  const raw = await readJsonFile(genaiPath);
  if (!isRecord(raw) || !isRecord(raw.model)) throw new ModelFormatError(`${genaiPath}: no "model" object`, genaiPath);
  const model = raw.model;
  const decoder = isRecord(model.decoder) ? model.decoder : null;
  if (!decoder) throw new ModelFormatError(`${genaiPath}: no model.decoder section`, genaiPath);

  // Every component with a graph file: decoder, and encoder / vision / embedding / speech in multimodal models.
  const graphs: { component: string; file: string }[] = [];
  for (const [component, section] of Object.entries(model)) {
    if (!isRecord(section) || section.filename === undefined) continue;
    const filename = asString(section.filename);
    if (!filename) throw new ModelFormatError(`${genaiPath}: model.${component}.filename is not a file name`, genaiPath);
    const file = await fileInsideModel(dir, filename, genaiPath, `model.${component}.filename`);
    if (!(await isFile(file))) throw new ModelFormatError(`${genaiPath}: model.${component}.filename names ${filename} but ${file} is missing`, file);
    graphs.push({ component, file });
  }
  if (!graphs.some((g) => g.component === 'decoder')) throw new ModelFormatError(`${genaiPath}: model.decoder.filename is missing`, genaiPath);

  const summaries: OnnxModelSummary[] = [];
  const modelFileSet = new Set<string>();
  for (const g of graphs) {
    const { summary, dataFiles } = await readGraphChecked(g.file);
    summaries.push(summary);
    modelFileSet.add(g.file);
    for (const d of dataFiles) modelFileSet.add(d);
  }
  const weights = summarizeOnnxWeights(summaries);
  const tokenizer = await readFolderTokenizer(dir);

  const warnings = [...tokenizer.warnings];
  const facts = {
    contextLength: pickNumber(model, 'context_length'),
    vocabSize: pickNumber(model, 'vocab_size'),
    layerCount: pickNumber(decoder, 'num_hidden_layers'),
    embeddingLength: pickNumber(decoder, 'hidden_size'),
    headCount: pickNumber(decoder, 'num_attention_heads'),
    headCountKv: pickNumber(decoder, 'num_key_value_heads') ?? pickNumber(decoder, 'num_attention_heads'),
  };
  const providers = providersOf(decoder.session_options);
  const extra = {
    modelType: model.type,
    providers: providers.length > 0 ? providers : ['cpu'],
    headSize: decoder.head_size,
    bosTokenId: model.bos_token_id,
    eosTokenId: model.eos_token_id,
    padTokenId: model.pad_token_id,
    search: raw.search,
    components: graphs.map((g) => g.component),
    blockSize: weights.blockSize,
  };
  return finishOnnx(dir, model.type, summaries, weights, tokenizer, facts, extra, modelFileSet, warnings);
}

async function onnxFilesIn(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    const files: string[] = [];
    for (const n of names.sort()) if (n.endsWith('.onnx') && (await isFile(join(dir, n)))) files.push(join(dir, n));
    return files;
  } catch {
    return [];
  }
}

const PREFERRED_VARIANTS = ['model.onnx', 'decoder_model_merged.onnx', 'model_quantized.onnx', 'decoder_model_merged_quantized.onnx'];

async function inspectPlainOnnx(dir: string): Promise<InspectedModel> {
  let variants = await onnxFilesIn(dir);
  if (variants.length === 0) variants = await onnxFilesIn(join(dir, 'onnx'));
  if (variants.length === 0) {
    throw new ModelFormatError(`${dir}: no ${GENAI_CONFIG} and no *.onnx files (in the folder or its onnx/ subfolder)`, dir);
  }
  const tokenizer = await readFolderTokenizer(dir);
  const primary = PREFERRED_VARIANTS.map((name) => variants.find((v) => basename(v) === name)).find((v) => v !== undefined) ?? variants[0] ?? '';
  const { summary, dataFiles } = await readGraphChecked(primary);
  const weights = summarizeOnnxWeights([summary]);
  const warnings = [...tokenizer.warnings];
  if (variants.length > 1) warnings.push(`${variants.length} ONNX variants; inspected ${relative(dir, primary)}`);

  const configPath = join(dir, 'config.json');
  const config = (await isFile(configPath)) ? await readJsonFile(configPath) : null;
  const facts = isRecord(config) ? configFacts(config) : {};
  const modelFileSet = new Set([primary, ...dataFiles]);
  for (const f of [configPath, join(dir, 'generation_config.json')]) if (await isFile(f)) modelFileSet.add(f);
  const architectures = isRecord(config) && Array.isArray(config.architectures) ? config.architectures : [];
  const extra = {
    layout: 'transformers.js',
    modelType: isRecord(config) ? config.model_type : undefined,
    onnxFile: relative(dir, primary),
    onnxVariants: variants.map((v) => relative(dir, v)),
    blockSize: weights.blockSize,
  };
  const architecture = typeof architectures[0] === 'string' ? architectures[0] : isRecord(config) ? config.model_type : null;
  return finishOnnx(dir, architecture, [summary], weights, tokenizer, facts, extra, modelFileSet, warnings);
}

async function finishOnnx(
  dir: string,
  architecture: unknown,
  summaries: readonly OnnxModelSummary[],
  weights: OnnxWeights,
  tokenizer: Awaited<ReturnType<typeof readFolderTokenizer>>,
  facts: Partial<Pick<ModelInspection, 'contextLength' | 'vocabSize' | 'layerCount' | 'embeddingLength' | 'headCount' | 'headCountKv'>>,
  extra: Record<string, unknown>,
  modelFileSet: Set<string>,
  warnings: string[],
): Promise<InspectedModel> {
  const shared = folderInspectionFields(facts, tokenizer, warnings);
  const readme = join(dir, 'README.md');
  const { license, warning } = await readmeLicense(readme);
  if (warning) warnings.push(warning);

  for (const f of tokenizer.files) modelFileSet.add(f);
  for (const f of [join(dir, 'genai_config.json'), readme, join(dir, 'LICENSE')]) if (await isFile(f)) modelFileSet.add(f);
  const files = [...modelFileSet].sort();
  const listed = await modelFiles(dir, files);
  const producers = [...new Set(summaries.map((s) => s.producer).filter((p): p is string => !!p))];
  const opsets = summaries[0]?.opsets.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`) ?? [];

  const inspection: ModelInspection = {
    ...baseInspection('onnx'),
    architecture: asString(architecture),
    name: folderModelName(dir),
    parameterCount: weights.parameterCount,
    quantization: weights.quantization,
    tensorTypes: weights.tensorTypes,
    sizeBytes: listed.sizeBytes,
    files: listed.files,
    ...shared,
    license,
    extra: jsonRecord({
      ...extra,
      producer: producers.length > 0 ? producers.join(', ') : undefined,
      irVersion: summaries[0]?.irVersion,
      opsets,
      ops: weights.opCounts,
      chatTemplateSource: tokenizer.chatTemplateSource,
      tokenizerClass: tokenizer.tokenizerClass,
    }),
    warnings,
  };
  return { root: dir, entry: dir, files, inspection };
}
