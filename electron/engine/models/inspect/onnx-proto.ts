/**
 * A minimal protobuf walker over an ONNX ModelProto that reads the graph's structure (nodes, initializer names,
 * types, dims, external-data references) and jumps over tensor data, so it reads a few KB even from a model with
 * gigabytes of inline weights. Field numbers from onnx/onnx.proto:
 *   ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8 (domain 1, version 2)
 *   GraphProto: node 1, initializer 5
 *   NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7
 *   AttributeProto: name 1, i 3, g 6, graphs 11
 *   TensorProto: dims 1, data_type 2, name 8, external_data 13 (key 1, value 2), data_location 14
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export const ONNX_DATA_TYPES: Readonly<Record<number, string>> = {
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
  23: 'FLOAT4E2M1',
  24: 'FLOAT8E8M0',
};

export interface OnnxInitializer {
  name: string;
  dataType: number;
  dims: number[];
  /** Set when the data lives in another file (data_location EXTERNAL). */
  external: { location: string; offset: number; length: number | null } | null;
}

export interface OnnxNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  /** Integer attributes only (bits, block_size, K, N, ...). */
  ints: Record<string, number>;
}

export interface OnnxModelSummary {
  irVersion: number | null;
  producer: string | null;
  opsets: { domain: string; version: number }[];
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
}

export class OnnxParseError extends Error {}

const WINDOW = 1 << 16;
const MAX_FIELDS = 50_000_000;

/** Random-access reads through a small window, so skipped ranges (tensor data) are never read. */
class FileWindow {
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private load(pos: number, minLength: number): void {
    const length = Math.min(Math.max(WINDOW, minLength), this.size - pos);
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, pos + done);
      if (n === 0) break;
      done += n;
    }
    this.buf = buf.subarray(0, done);
    this.start = pos;
  }

  byte(pos: number): number {
    if (pos < this.start || pos >= this.start + this.buf.length) {
      if (pos >= this.size) throw new OnnxParseError(`unexpected end of file at byte ${pos}`);
      this.load(pos, 1);
    }
    return this.buf[pos - this.start] ?? 0;
  }

  bytes(pos: number, length: number): Buffer {
    if (pos + length > this.size) throw new OnnxParseError(`a field at byte ${pos} runs past the end of the file`);
    if (pos < this.start || pos + length > this.start + this.buf.length) this.load(pos, length);
    return this.buf.subarray(pos - this.start, pos - this.start + length);
  }
}

interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0). */
  value: number;
  /** Payload range (wire 2). */
  start: number;
  end: number;
}

class Walker {
  private fields = 0;

  constructor(private readonly r: FileWindow) {}

  varint(pos: number): [value: number, next: number] {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.r.byte(pos + i);
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return [value, pos + i + 1];
      scale *= 128;
    }
    throw new OnnxParseError(`malformed varint at byte ${pos}`);
  }

  *message(start: number, end: number): Generator<Field> {
    let pos = start;
    while (pos < end) {
      if (++this.fields > MAX_FIELDS) throw new OnnxParseError(`more than ${MAX_FIELDS} protobuf fields`);
      const [key, afterKey] = this.varint(pos);
      const field = Math.floor(key / 8);
      const wire = key % 8;
      pos = afterKey;
      if (wire === 0) {
        const [value, next] = this.varint(pos);
        yield { field, wire, value, start: pos, end: next };
        pos = next;
      } else if (wire === 1 || wire === 5) {
        const n = wire === 1 ? 8 : 4;
        yield { field, wire, value: 0, start: pos, end: pos + n };
        pos += n;
      } else if (wire === 2) {
        const [length, next] = this.varint(pos);
        const payloadEnd = next + length;
        if (payloadEnd > end) throw new OnnxParseError(`a field at byte ${pos} (length ${length}) runs past the end of its message at byte ${end}`);
        yield { field, wire, value: 0, start: next, end: payloadEnd };
        pos = payloadEnd;
      } else {
        throw new OnnxParseError(`unsupported protobuf wire type ${wire} at byte ${pos}`);
      }
    }
    if (pos !== end) throw new OnnxParseError(`a message ending at byte ${end} is malformed`);
  }

  string(f: Field): string {
    return this.r.bytes(f.start, f.end - f.start).toString('utf8');
  }

  /** Repeated int64 field, packed (wire 2) or not (wire 0). */
  ints(f: Field, into: number[]): void {
    if (f.wire === 0) {
      into.push(f.value);
      return;
    }
    let pos = f.start;
    while (pos < f.end) {
      const [v, next] = this.varint(pos);
      into.push(v);
      pos = next;
    }
  }
}

function readTensor(w: Walker, start: number, end: number): OnnxInitializer {
  const t: OnnxInitializer = { name: '', dataType: 0, dims: [], external: null };
  const ext: Record<string, string> = {};
  let external = false;
  for (const f of w.message(start, end)) {
    if (f.field === 1) w.ints(f, t.dims);
    else if (f.field === 2 && f.wire === 0) t.dataType = f.value;
    else if (f.field === 8 && f.wire === 2) t.name = w.string(f);
    else if (f.field === 13 && f.wire === 2) {
      let key = '';
      let value = '';
      for (const e of w.message(f.start, f.end)) {
        if (e.field === 1 && e.wire === 2) key = w.string(e);
        else if (e.field === 2 && e.wire === 2) value = w.string(e);
      }
      ext[key] = value;
    } else if (f.field === 14 && f.wire === 0) external = f.value === 1;
  }
  if (external && ext.location) {
    const length = ext.length === undefined ? null : Number(ext.length);
    t.external = { location: ext.location, offset: Number(ext.offset ?? 0), length: Number.isFinite(length) ? length : null };
  }
  return t;
}

function readNode(w: Walker, start: number, end: number, summary: OnnxModelSummary): void {
  const node: OnnxNode = { opType: '', domain: '', name: '', inputs: [], ints: {} };
  for (const f of w.message(start, end)) {
    if (f.wire !== 2) continue;
    if (f.field === 1) node.inputs.push(w.string(f));
    else if (f.field === 3) node.name = w.string(f);
    else if (f.field === 4) node.opType = w.string(f);
    else if (f.field === 7) node.domain = w.string(f);
    else if (f.field === 5) {
      let name = '';
      let int: number | null = null;
      for (const a of w.message(f.start, f.end)) {
        if (a.field === 1 && a.wire === 2) name = w.string(a);
        else if (a.field === 3 && a.wire === 0) int = a.value;
        else if ((a.field === 6 || a.field === 11) && a.wire === 2) readGraph(w, a.start, a.end, summary);
      }
      if (int !== null && name) node.ints[name] = int;
    }
  }
  summary.nodes.push(node);
}

function readGraph(w: Walker, start: number, end: number, summary: OnnxModelSummary): void {
  for (const f of w.message(start, end)) {
    if (f.wire !== 2) continue;
    if (f.field === 1) readNode(w, f.start, f.end, summary);
    else if (f.field === 5) summary.initializers.push(readTensor(w, f.start, f.end));
  }
}

/** Reads the structure of an ONNX model file. Throws OnnxParseError when the file is not a well-formed ModelProto. */
export function readOnnxModel(file: string): OnnxModelSummary {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const w = new Walker(new FileWindow(fd, size));
    const summary: OnnxModelSummary = { irVersion: null, producer: null, opsets: [], nodes: [], initializers: [] };
    let producerVersion = '';
    let sawGraph = false;
    for (const f of w.message(0, size)) {
      if (f.field === 1 && f.wire === 0) summary.irVersion = f.value;
      else if (f.field === 2 && f.wire === 2) summary.producer = w.string(f);
      else if (f.field === 3 && f.wire === 2) producerVersion = w.string(f);
      else if (f.field === 7 && f.wire === 2) {
        sawGraph = true;
        readGraph(w, f.start, f.end, summary);
      } else if (f.field === 8 && f.wire === 2) {
        const opset = { domain: '', version: 0 };
        for (const o of w.message(f.start, f.end)) {
          if (o.field === 1 && o.wire === 2) opset.domain = w.string(o);
          else if (o.field === 2 && o.wire === 0) opset.version = o.value;
        }
        summary.opsets.push(opset);
      }
    }
    if (!sawGraph || summary.irVersion === null) throw new OnnxParseError('no ir_version or graph: not an ONNX model');
    if (summary.producer && producerVersion) summary.producer += ` ${producerVersion}`;
    return summary;
  } finally {
    closeSync(fd);
  }
}
