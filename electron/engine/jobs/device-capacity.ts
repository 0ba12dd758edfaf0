import { totalmem } from 'node:os';

/**
 * Memory of a job device in bytes, for the device ledger: `cpu` is the machine's RAM, `gpu` / `gpu:N` the N-th GPU's
 * VRAM as the latest system report found it. Other devices (disk, network) and unknown GPUs: null (not metered).
 */
export function deviceCapacity(device: string, gpuVram: () => readonly (number | null)[]): number | null {
  if (device === 'cpu') return totalmem();
  const gpu = /^gpu(?::(\d+))?$/.exec(device);
  if (!gpu) return null;
  return gpuVram()[Number(gpu[1] ?? 0)] ?? null;
}
