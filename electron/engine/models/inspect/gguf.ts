import { open } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { GgufFileInfo } from 'node-llama-cpp';
import { renderChatTemplateExample } from './chat-template';
import { ModelFormatError } from './errors';
import { ggmlTensorBytes, ggmlType, ggmlTypeName } from './ggml-types';
import type { InspectedModel } from './types';
import {
  asNumber,
  asString,
  baseInspection,
  dominantType,
  fileSize,
  groupTensorTypes,
  isRecord,
  jsonRecord,
  modelFiles,
  tensorFamily,
  type TensorEntry,
} from './util';

const SPLIT_RE = /-(\d{5})-of-(\d{5})\.gguf$/i;
const HEADER_BYTES = 24; // magic, version, tensor count, metadata count
// Smallest possible tensor info (empty name, no dims) and metadata entry (empty key, one-byte value).
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;
const MIN_KV_BYTES = 8 + 4 + 1;
const LLAMA_FTYPE_GUESSED = 1024;

type NodeLlamaCpp = typeof import('node-llama-cpp');
let nodeLlamaCpp: Promise<NodeLlamaCpp> | null = null;
const loadNodeLlamaCpp = (): Promise<NodeLlamaCpp> => (nodeLlamaCpp ??= import('node-llama-cpp'));

export interface GgufSplit {
  part: number;
  count: number;
  /** Every part's path, in order. */
  parts: string[];
}

/** Split-set facts from a file name like model-00002-of-00003.gguf, or null for a single file. */
export function ggufSplit(file: string): GgufSplit | null {
  const m = SPLIT_RE.exec(file);
  if (!m) return null;
  const part = Number(m[1]);
  const count = Number(m[2]);
  if (part < 1 || count < 1 || part > count) return null;
  const prefix = file.slice(0, file.length - m[0].length);
  const parts = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.gguf`);
  return { part, count, parts };
}

/** True when the file starts with the GGUF magic. */
export async function hasGgufMagic(file: string): Promise<boolean> {
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(4);
      const { bytesRead } = await fh.read(buf, 0, 4, 0);
      return bytesRead === 4 && buf.toString('latin1') === 'GGUF';
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

const FIXED_VALUE_BYTES: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

/** Thrown by parseHeader when the bytes read so far end before the header does. */
/** Thrown (and caught) inside the parser when the buffer ends before a value does: read more and parse again. */
class NeedMore extends Error {
  constructor(readonly end: number) {
    super(`need ${end} bytes`);
  }
}

export interface HeaderScan {
  version: number;
  /** Where the tensor data starts. */
  dataStart: number;
}

/**
 * Walks the header (magic, version, metadata, tensor table) with every length checked against the file size.
 * readGgufFileInfo zero-fills reads past the end of the file, so a cut-off header still "parses" there, and a
 * corrupt length can make it allocate or loop without bound; this walk runs first. It reads the file's first MB,
 * and re-reads more (doubling) while the header runs longer.
 */
async function scanHeader(file: string, size: number): Promise<HeaderScan> {
  const fh = await open(file, 'r');
  try {
    let length = Math.min(size, 1 << 20);
    for (;;) {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, 0);
      try {
        return parseHeader(file, size, buf.subarray(0, bytesRead));
      } catch (err) {
        if (!(err instanceof NeedMore)) throw err;
        if (bytesRead < length) throw new ModelFormatError(`${file}: the file could not be read past byte ${bytesRead}`, file);
        length = Math.min(size, Math.max(err.end, length * 2));
      }
    }
  } finally {
    await fh.close();
  }
}

function parseHeader(file: string, size: number, buf: Buffer): HeaderScan {
  let pos = 0;
  let what = 'the header';
  const need = (n: number) => {
    const end = pos + n;
    if (end > size) {
      throw new ModelFormatError(`${file}: ${what} runs past the end of the file (${size} bytes): the file is truncated or its header is corrupt`, file);
    }
    if (end > buf.length) throw new NeedMore(end);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return buf.readUInt32LE(pos - 4);
  };
  const u64 = () => {
    need(8);
    pos += 8;
    const hi = buf.readUInt32LE(pos - 4);
    // Anything larger than the file fails the next bounds check; two u32 reads avoid a BigInt per string.
    return hi >= 0x200000 ? size + 1 : hi * 0x100000000 + buf.readUInt32LE(pos - 8);
  };
  const skip = (n: number) => {
    need(n);
    pos += n;
  };

  const magic = buf.subarray(0, Math.min(4, size));
  if (size < 4 || magic.toString('latin1') !== 'GGUF') {
    const shown = size === 0 ? 'the file is empty' : `it starts with ${JSON.stringify(magic.toString('latin1'))} (0x${magic.toString('hex')})`;
    throw new ModelFormatError(`${file}: not a GGUF file: expected the magic "GGUF" but ${shown}`, file);
  }
  if (size < HEADER_BYTES) throw new ModelFormatError(`${file}: the file is ${size} bytes, too short for a GGUF header: the file is truncated`, file);
  need(HEADER_BYTES);
  const version = buf.readUInt32LE(4);
  if (version !== 2 && version !== 3) throw new ModelFormatError(`${file}: GGUF version ${version} is not supported (expected version 2 or 3)`, file);
  const tensorCount = buf.readBigUInt64LE(8);
  const kvCount = buf.readBigUInt64LE(16);
  if (BigInt(HEADER_BYTES) + tensorCount * BigInt(MIN_TENSOR_INFO_BYTES) + kvCount * BigInt(MIN_KV_BYTES) > BigInt(size)) {
    throw new ModelFormatError(
      `${file}: the GGUF header declares ${tensorCount} tensors and ${kvCount} metadata entries, which cannot fit in the file's ${size} bytes: the file is truncated or its header is corrupt`,
      file,
    );
  }
  pos = HEADER_BYTES;
  let alignment = 32;
  for (let i = 0; i < Number(kvCount); i++) {
    what = `metadata entry ${i}'s key`;
    const keyLength = u64();
    skip(keyLength);
    const key = keyLength <= 256 ? buf.toString('utf8', pos - keyLength, pos) : '';
    what = `metadata entry ${key || i}`;
    const type = u32();
    if (key === 'general.alignment' && type === 4) {
      need(4);
      alignment = buf.readUInt32LE(pos);
    }
    if (type === ARRAY) {
      const itemType = u32();
      const count = u64();
      const fixed = FIXED_VALUE_BYTES[itemType];
      if (fixed !== undefined) skip(count * fixed);
      else if (itemType === STRING) {
        need(count * 8);
        for (let j = 0; j < count; j++) skip(u64());
      } else {
        throw new ModelFormatError(`${file}: ${what} is an array of unsupported type ${itemType}: the header is corrupt`, file);
      }
    } else if (type === STRING) {
      skip(u64());
    } else {
      const fixed = FIXED_VALUE_BYTES[type];
      if (fixed === undefined) throw new ModelFormatError(`${file}: ${what} has unsupported value type ${type}: the header is corrupt`, file);
      skip(fixed);
    }
  }
  for (let i = 0; i < Number(tensorCount); i++) {
    what = `tensor ${i}'s name`;
    const nameLength = u64();
    skip(nameLength);
    what = `the tensor table entry of ${nameLength <= 256 ? buf.toString('utf8', pos - nameLength, pos) : `tensor ${i}`}`;
    const nDims = u32();
    if (nDims > 8) throw new ModelFormatError(`${file}: ${what} has ${nDims} dimensions: the header is corrupt`, file);
    skip(nDims * 8 + 4 + 8);
  }
  if (alignment === 0 || alignment % 8 !== 0) throw new ModelFormatError(`${file}: general.alignment is ${alignment}, not a multiple of 8`, file);
  return { version, dataStart: Math.ceil(pos / alignment) * alignment };
}

/** Reads a dotted metadata key from node-llama-cpp's nested metadata (some keys stay joined, e.g. general.license). */
function metaValue(obj: unknown, parts: readonly string[]): unknown {
  if (parts.length === 0) return obj;
  if (!isRecord(obj)) return undefined;
  for (let i = parts.length; i >= 1; i--) {
    const key = parts.slice(0, i).join('.');
    if (Object.hasOwn(obj, key)) {
      const found = metaValue(obj[key], parts.slice(i));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

const SPECIAL_TOKEN_KEYS: ReadonlyArray<readonly [role: string, key: string]> = [
  ['bos', 'bos_token_id'],
  ['eos', 'eos_token_id'],
  ['eot', 'eot_token_id'],
  ['eom', 'eom_token_id'],
  ['pad', 'padding_token_id'],
  ['unk', 'unknown_token_id'],
  ['sep', 'seperator_token_id'], // llama.cpp's spelling
  ['sep', 'separator_token_id'],
  ['cls', 'cls_token_id'],
  ['mask', 'mask_token_id'],
];

const nonEmpty = <T extends object>(o: T): T | undefined => (Object.keys(o).length > 0 ? o : undefined);

function dimsOf(dimensions: readonly (number | bigint)[]): number[] {
  return dimensions.map((d) => Number(d));
}

export interface GgufPrescan {
  entry: string;
  parts: string[];
  sizes: number[];
  headers: HeaderScan[];
}

/**
 * The bounds-checked walk of every part's header (see scanHeader). Whatever hands a GGUF to node-llama-cpp's
 * readGgufFileInfo or llama.cpp calls this first, in a worker process: it throws ModelFormatError on a damaged file.
 */
export async function prescanGguf(path: string): Promise<GgufPrescan> {
  const given = resolve(path);
  const split = ggufSplit(given);
  const parts = split?.parts ?? [given];
  const entry = parts[0] ?? given;
  const sizes: number[] = [];
  for (const [i, part] of parts.entries()) {
    const size = await fileSize(part);
    if (size === null) {
      const what = parts.length > 1 ? `part ${i + 1} of the ${parts.length}-part split set` : 'the file';
      throw new ModelFormatError(`${part}: ${what} is missing`, part);
    }
    sizes.push(size);
  }
  const headers: HeaderScan[] = [];
  for (const [i, part] of parts.entries()) headers.push(await scanHeader(part, sizes[i] ?? 0));
  return { entry, parts, sizes, headers };
}

/** Inspects a GGUF file or split set without reading tensor data. Any part of a split set may be given. */
export async function inspectGguf(path: string): Promise<InspectedModel> {
  const { entry, parts, sizes, headers } = await prescanGguf(path);
  const version = headers[0]?.version ?? 3;

  const { readGgufFileInfo, GgufFileType } = await loadNodeLlamaCpp();
  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(entry, { logWarnings: false, sourceType: 'filesystem' });
  } catch (err) {
    throw new ModelFormatError(`${entry}: cannot read the GGUF header (${(err as Error).message}): the file is corrupt`, entry);
  }

  const warnings: string[] = [];
  const meta = (key: string): unknown => metaValue(info.metadata, key.split('.'));

  // Where tensor data starts, per part: both readers must agree, or offsets would be read from the wrong base.
  for (const [i, part] of parts.entries()) {
    const source = info.sourceData[i];
    const infoEnd = source?.type === 'path' ? source.length : i === 0 ? info.infoEndOffset : undefined;
    const dataStart = headers[i]?.dataStart;
    if (infoEnd !== undefined && dataStart !== undefined && infoEnd !== dataStart) {
      throw new ModelFormatError(`${part}: the tensor data should start at byte ${dataStart} but node-llama-cpp reads ${infoEnd}: the header is corrupt`, part);
    }
  }

  const tensors = info.fullTensorInfo ?? [];
  const splitCount = asNumber(meta('split.count'));
  if (parts.length > 1) {
    if (splitCount !== null && splitCount !== parts.length) {
      throw new ModelFormatError(`${entry}: split.count is ${splitCount} but the file name says ${parts.length} parts`, entry);
    }
    const declared = asNumber(meta('split.tensors.count'));
    if (declared !== null && declared !== tensors.length) {
      throw new ModelFormatError(
        `${entry}: split.tensors.count is ${declared} but the ${parts.length} parts hold ${tensors.length} tensors: a part is truncated or belongs to another set`,
        entry,
      );
    }
  } else if (splitCount !== null && splitCount > 1) {
    throw new ModelFormatError(
      `${entry}: the file is one part of a ${splitCount}-part split set (split.count) but its name does not end in -0000N-of-${String(splitCount).padStart(5, '0')}.gguf, so the other parts cannot be found`,
      entry,
    );
  }

  let parameterCount = 0;
  const entries: TensorEntry[] = [];
  const unknownTypes = new Set<number>();
  for (const t of tensors) {
    const dims = dimsOf(t.dimensions);
    const elements = dims.reduce((a, b) => a * b, 1);
    const partIndex = (t.filePart ?? 1) - 1;
    const part = parts[partIndex] ?? entry;
    const size = sizes[partIndex] ?? 0;
    const start = Number(t.fileOffset);
    const type = ggmlType(t.ggmlType);
    const label = `${t.name} (${ggmlTypeName(t.ggmlType)}, ${dims.join('x')})`;
    if (!Number.isSafeInteger(elements) || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ModelFormatError(`${part}: tensor ${label} has impossible dimensions: the header is corrupt`, part);
    }
    let end = start;
    if (type) {
      const bytes = ggmlTensorBytes(type, dims);
      if (typeof bytes === 'string') throw new ModelFormatError(`${part}: tensor ${label}: ${bytes}`, part);
      end = start + bytes;
    } else {
      unknownTypes.add(t.ggmlType);
    }
    if (end > size || start > size) {
      throw new ModelFormatError(
        `${part}: tensor ${label} ends at byte ${end} but the file is ${size} bytes: the file is truncated or its tensor offsets are wrong`,
        part,
      );
    }
    parameterCount += elements;
    entries.push({ family: tensorFamily(t.name), type: ggmlTypeName(t.ggmlType), parameters: elements });
  }
  if (unknownTypes.size > 0) {
    warnings.push(`unknown ggml tensor types ${[...unknownTypes].join(', ')}: their sizes were not checked against the file`);
  }
  const tensorTypes = groupTensorTypes(entries);

  const architecture = asString(meta('general.architecture'));
  if (!architecture) warnings.push('general.architecture is missing: llama.cpp cannot load the model');
  const arch = (key: string): unknown => (architecture ? meta(`${architecture}.${key}`) : undefined);
  const archNumber = (key: string): number | null => {
    const v = arch(key);
    if (Array.isArray(v)) {
      const ns = v.map(asNumber).filter((n): n is number => n !== null);
      return ns.length > 0 ? Math.max(...ns) : null;
    }
    return asNumber(v);
  };

  const rawFileType = asNumber(meta('general.file_type'));
  const fileType = rawFileType === null ? null : rawFileType & ~LLAMA_FTYPE_GUESSED;
  const fileTypeName = fileType === null ? undefined : (GgufFileType as unknown as Record<number, string | undefined>)[fileType];
  let quantization = fileTypeName ? fileTypeName.replace(/^(MOSTLY|ALL)_/, '') : null;
  if (!quantization) {
    if (fileType !== null) warnings.push(`general.file_type ${fileType} is not a known GGUF file type`);
    const twoD = new Set(tensors.filter((t) => t.dimensions.length >= 2).map((t) => tensorFamily(t.name)));
    quantization = dominantType(tensorTypes, (g) => twoD.has(g.family));
  }

  const tokens = meta('tokenizer.ggml.tokens');
  const tokenList: unknown[] | null = Array.isArray(tokens) ? (tokens as unknown[]) : null;
  if (!tokenList) warnings.push('no tokenizer (tokenizer.ggml.tokens): llama.cpp cannot load the model without one');
  const specialTokens: Record<string, string> = {};
  for (const [role, key] of SPECIAL_TOKEN_KEYS) {
    const id = asNumber(meta(`tokenizer.ggml.${key}`));
    if (id === null || specialTokens[role] !== undefined || !tokenList) continue;
    const text = tokenList[id];
    if (typeof text === 'string') specialTokens[role] = text;
    else warnings.push(`tokenizer.ggml.${key} is ${id}, outside the ${tokenList.length}-token vocabulary`);
  }

  const chatTemplate = asString(meta('tokenizer.chat_template'));
  if (!chatTemplate) warnings.push('no chat template (tokenizer.chat_template): chat needs a template chosen by hand');
  const rendered = renderChatTemplateExample(chatTemplate, { bos: specialTokens.bos, eos: specialTokens.eos });
  if (rendered.systemMessageError) warnings.push(`the chat template rejects a system message: ${rendered.systemMessageError}`);

  const root = dirname(entry);
  const { files, sizeBytes } = await modelFiles(root, parts);
  const headCount = archNumber('attention.head_count');
  const license = asString(meta('general.license.name')) ?? asString(meta('general.license'));
  const inspection = {
    ...baseInspection('gguf'),
    architecture,
    name:
      asString(meta('general.name')) ??
      basename(entry)
        .replace(SPLIT_RE, '')
        .replace(/\.gguf$/i, ''),
    parameterCount,
    quantization,
    tensorTypes,
    sizeBytes,
    files,
    contextLength: archNumber('context_length'),
    vocabSize: tokenList?.length ?? archNumber('vocab_size'),
    layerCount: archNumber('block_count'),
    embeddingLength: archNumber('embedding_length'),
    headCount,
    headCountKv: archNumber('attention.head_count_kv') ?? headCount,
    chatTemplate,
    chatTemplateExample: rendered.chatTemplateExample,
    chatTemplateError: rendered.chatTemplateError,
    specialTokens,
    license,
    extra: jsonRecord({
      ggufVersion: version,
      alignment: meta('general.alignment') ?? 32,
      fileType,
      tensorCount: tensors.length,
      splitCount: parts.length > 1 ? parts.length : undefined,
      tokenizerModel: meta('tokenizer.ggml.model'),
      tokenizerPre: meta('tokenizer.ggml.pre'),
      addBosToken: meta('tokenizer.ggml.add_bos_token'),
      addEosToken: meta('tokenizer.ggml.add_eos_token'),
      feedForwardLength: archNumber('feed_forward_length'),
      expertCount: archNumber('expert_count'),
      expertUsedCount: archNumber('expert_used_count'),
      rope: nonEmpty(
        jsonRecord({
          dimensionCount: arch('rope.dimension_count'),
          freqBase: arch('rope.freq_base'),
          scalingType: arch('rope.scaling.type'),
          scalingFactor: arch('rope.scaling.factor'),
          originalContextLength: arch('rope.scaling.original_context_length'),
        }),
      ),
      basename: meta('general.basename'),
      sizeLabel: meta('general.size_label'),
      finetune: meta('general.finetune'),
      quantizationVersion: meta('general.quantization_version'),
      licenseLink: meta('general.license.link'),
    }),
    warnings,
  };
  return { root, entry, files: parts, inspection };
}
