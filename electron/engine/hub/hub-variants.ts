import { InvalidInputError } from '../../../shared/errors';
import type { HubFile, HubModelVariant } from '../../../shared/hub';

const SPLIT = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;
const QUANT = /(IQ\d_[A-Z0-9_]+|Q\d_K(?:_[SML])?|Q\d_\d|Q\d_[01]|BF16|F16|F32|MXFP4(?:_MOE)?|TQ\d_\d)/i;

export function ggufQuantOf(file: string): string | null {
  const m = QUANT.exec(file.split('/').pop() ?? file);
  return m ? m[1]!.toUpperCase() : null;
}

/**
 * The downloadable models in a repo: each GGUF (a split set counts once; mmproj projectors are not models),
 * each ONNX Runtime GenAI folder, and the transformers checkpoint at the root.
 */
export function hubVariants(files: readonly HubFile[]): HubModelVariant[] {
  const out: HubModelVariant[] = [];
  const size = (paths: string[]): number => paths.reduce((n, p) => n + (files.find((f) => f.path === p)?.sizeBytes ?? 0), 0);
  const splits = new Map<string, string[]>();
  for (const f of files) {
    if (!f.path.toLowerCase().endsWith('.gguf')) continue;
    const base = f.path.split('/').pop()!;
    if (/mmproj/i.test(base)) continue;
    const m = SPLIT.exec(f.path);
    if (m) {
      const key = `${m[1]}|${m[3]}`;
      splits.set(key, [...(splits.get(key) ?? []), f.path]);
    } else {
      out.push({ label: ggufQuantOf(f.path) ?? base, format: 'gguf', files: [f.path], sizeBytes: f.sizeBytes });
    }
  }
  for (const [key, parts] of splits) {
    parts.sort();
    const [stem] = key.split('|');
    out.push({ label: `${ggufQuantOf(parts[0]!) ?? stem!.split('/').pop()} (${parts.length} parts)`, format: 'gguf', files: parts, sizeBytes: size(parts) });
  }

  for (const cfg of files.filter((f) => f.path.endsWith('genai_config.json'))) {
    const dir = cfg.path.includes('/') ? cfg.path.slice(0, cfg.path.lastIndexOf('/') + 1) : '';
    const inDir = files.filter((f) => f.path.startsWith(dir) && !f.path.slice(dir.length).includes('/')).map((f) => f.path);
    out.push({ label: dir ? `ONNX ${dir.slice(0, -1)}` : 'ONNX', format: 'onnx', files: inDir, sizeBytes: size(inDir) });
  }

  const root = files.filter((f) => !f.path.includes('/'));
  if (root.some((f) => f.path === 'config.json') && root.some((f) => f.path.endsWith('.safetensors'))) {
    const keep = root.filter((f) => !f.path.endsWith('.gguf') && !/\.(bin|pt|pth|h5|msgpack|ckpt)$/.test(f.path)).map((f) => f.path);
    out.push({ label: 'Transformers (safetensors)', format: 'hf', files: keep, sizeBytes: size(keep) });
  }
  return out;
}

/** The variant `whittle pull hf:owner/name` takes when no file is named: the requested quant, else Q4_K_M, else the smallest reasonable GGUF. */
export function defaultVariant(variants: readonly HubModelVariant[], quant: string | null): HubModelVariant | null {
  const gguf = variants.filter((v) => v.format === 'gguf');
  if (quant) return gguf.find((v) => v.label.toUpperCase().startsWith(quant.toUpperCase())) ?? null;
  const preferred = ['Q4_K_M', 'Q4_K_S', 'Q5_K_M', 'Q8_0', 'Q4_0'];
  for (const p of preferred) {
    const hit = gguf.find((v) => v.label.toUpperCase().startsWith(p));
    if (hit) return hit;
  }
  return gguf[0] ?? variants.find((v) => v.format === 'onnx') ?? variants.find((v) => v.format === 'hf') ?? null;
}

/** Expands a requested path to the whole model it belongs to: every part of a split GGUF, every file of a folder. */
export function expandSelection(files: readonly HubFile[], requested: readonly string[]): string[] {
  if (!requested.length) return files.map((f) => f.path);
  const out = new Set<string>();
  for (const r of requested) {
    const before = out.size;
    const m = SPLIT.exec(r);
    if (m) {
      for (const f of files) {
        const n = SPLIT.exec(f.path);
        if (n && n[1] === m[1] && n[3] === m[3]) out.add(f.path);
      }
    } else if (files.some((f) => f.path === r)) {
      out.add(r);
    } else {
      const dir = `${r.replace(/\/+$/, '')}/`;
      for (const f of files) if (f.path.startsWith(dir)) out.add(f.path);
    }
    if (out.size === before && !files.some((f) => f.path === r)) throw new InvalidInputError(`${r}: no such file or folder in the repo`);
  }
  return [...out].sort();
}
