/**
 * ggml tensor storage: elements per block and bytes per block, by ggml type id (ggml.c type_traits).
 * 4, 5 (Q4_2, Q4_3) were removed before GGUF existed; 31-33 and 36-38 (the repacked Q4_0/IQ4_NL layouts) are no
 * longer written but old files carry them, with the same blocks as Q4_0/IQ4_NL.
 */
const GGML_TYPES: Readonly<Record<number, readonly [name: string, blockSize: number, typeSize: number]>> = {
  0: ['F32', 1, 4],
  1: ['F16', 1, 2],
  2: ['Q4_0', 32, 18],
  3: ['Q4_1', 32, 20],
  6: ['Q5_0', 32, 22],
  7: ['Q5_1', 32, 24],
  8: ['Q8_0', 32, 34],
  9: ['Q8_1', 32, 36],
  10: ['Q2_K', 256, 84],
  11: ['Q3_K', 256, 110],
  12: ['Q4_K', 256, 144],
  13: ['Q5_K', 256, 176],
  14: ['Q6_K', 256, 210],
  15: ['Q8_K', 256, 292],
  16: ['IQ2_XXS', 256, 66],
  17: ['IQ2_XS', 256, 74],
  18: ['IQ3_XXS', 256, 98],
  19: ['IQ1_S', 256, 50],
  20: ['IQ4_NL', 32, 18],
  21: ['IQ3_S', 256, 110],
  22: ['IQ2_S', 256, 82],
  23: ['IQ4_XS', 256, 136],
  24: ['I8', 1, 1],
  25: ['I16', 1, 2],
  26: ['I32', 1, 4],
  27: ['I64', 1, 8],
  28: ['F64', 1, 8],
  29: ['IQ1_M', 256, 56],
  30: ['BF16', 1, 2],
  31: ['Q4_0_4_4', 32, 18],
  32: ['Q4_0_4_8', 32, 18],
  33: ['Q4_0_8_8', 32, 18],
  34: ['TQ1_0', 256, 54],
  35: ['TQ2_0', 256, 66],
  36: ['IQ4_NL_4_4', 32, 18],
  37: ['IQ4_NL_4_8', 32, 18],
  38: ['IQ4_NL_8_8', 32, 18],
  39: ['MXFP4', 32, 17],
  40: ['NVFP4', 64, 36],
  41: ['Q1_0', 128, 18],
  42: ['Q2_0', 64, 18],
};

export interface GgmlTypeInfo {
  name: string;
  blockSize: number;
  typeSize: number;
}

export function ggmlType(id: number): GgmlTypeInfo | null {
  const t = GGML_TYPES[id];
  return t ? { name: t[0], blockSize: t[1], typeSize: t[2] } : null;
}

export function ggmlTypeName(id: number): string {
  return GGML_TYPES[id]?.[0] ?? `type ${id}`;
}

/** Bytes of a tensor with these dims (ne0 first), or an error string when ne0 is not a whole number of blocks. */
export function ggmlTensorBytes(type: GgmlTypeInfo, dims: readonly number[]): number | string {
  const ne0 = dims[0] ?? 1;
  if (ne0 % type.blockSize !== 0) return `its first dimension ${ne0} is not a multiple of the ${type.name} block size ${type.blockSize}`;
  let rows = 1;
  for (let i = 1; i < dims.length; i++) rows *= dims[i] ?? 1;
  return (ne0 / type.blockSize) * type.typeSize * rows;
}
