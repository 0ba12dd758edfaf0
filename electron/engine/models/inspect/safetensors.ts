import { open } from 'node:fs/promises';
import { ModelFormatError } from './errors';
import { isRecord } from './util';

export const MAX_SAFETENSORS_HEADER_BYTES = 100 * 1024 * 1024;

/** Bytes per element; sub-byte and unknown dtypes are absent (their byte length is not checked). */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range relative to the start of the data section (after the header). */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  file: string;
  sizeBytes: number;
  /** Length of the JSON header in bytes (the data section starts at 8 + headerLength). */
  headerLength: number;
  tensors: SafetensorsTensor[];
  /** The header's __metadata__ (string -> string), if any. */
  metadata: Record<string, string> | null;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Reads and validates a safetensors header without touching the weights. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await open(file, 'r').catch((err: Error) => {
    throw new ModelFormatError(`${file}: cannot open the file (${err.message})`, file);
  });
  try {
    const { size } = await fh.stat();
    const lenBuf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(lenBuf, 0, 8, 0);
    if (bytesRead < 8) throw new ModelFormatError(`${file}: the file is ${size} bytes, too short for a safetensors header: the file is truncated`, file);
    const headerLength = lenBuf.readBigUInt64LE(0);
    if (headerLength > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
      throw new ModelFormatError(
        `${file}: the safetensors header length is ${headerLength} bytes, more than the 100 MB limit: the file is not safetensors or is corrupt`,
        file,
      );
    }
    const n = Number(headerLength);
    if (8 + n > size) {
      throw new ModelFormatError(
        `${file}: the safetensors header is ${n} bytes but the file is only ${size} bytes: the file is truncated or not safetensors`,
        file,
      );
    }
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 8);
    let header: unknown;
    try {
      header = JSON.parse(buf.toString('utf8'));
    } catch (err) {
      throw new ModelFormatError(`${file}: the safetensors header is not valid JSON (${(err as Error).message})`, file);
    }
    if (!isRecord(header)) throw new ModelFormatError(`${file}: the safetensors header is not a JSON object`, file);

    const dataSize = size - 8 - n;
    const tensors: SafetensorsTensor[] = [];
    let metadata: Record<string, string> | null = null;
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') {
        if (isRecord(value)) metadata = Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
        continue;
      }
      tensors.push(parseTensor(file, name, value, dataSize));
    }
    return { file, sizeBytes: size, headerLength: n, tensors, metadata };
  } finally {
    await fh.close();
  }
}

function parseTensor(file: string, name: string, value: unknown, dataSize: number): SafetensorsTensor {
  const bad = (what: string) => new ModelFormatError(`${file}: tensor ${name}: ${what}`, file);
  if (!isRecord(value)) throw bad('its header entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw bad('dtype is missing');
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw bad('shape is not a list of non-negative integers');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
    throw bad('data_offsets is not a pair of non-negative integers');
  }
  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  const label = `${name} (${dtype}, ${dims.join('x') || 'scalar'})`;
  if (end < begin) throw new ModelFormatError(`${file}: tensor ${label}: data_offsets [${begin}, ${end}] end before they begin`, file);
  if (end > dataSize) {
    throw new ModelFormatError(
      `${file}: tensor ${label} ends at byte ${end} of the data section but the section is ${dataSize} bytes: the file is truncated or its data_offsets are wrong`,
      file,
    );
  }
  const perElement = DTYPE_BYTES[dtype];
  if (perElement !== undefined && elementCount(dims) * perElement !== end - begin) {
    throw new ModelFormatError(
      `${file}: tensor ${label} should take ${elementCount(dims) * perElement} bytes but its data_offsets [${begin}, ${end}] span ${end - begin}`,
      file,
    );
  }
  return { name, dtype, shape: dims, dataOffsets: [begin, end] };
}
