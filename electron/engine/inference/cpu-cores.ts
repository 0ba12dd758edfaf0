import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * The physical cores this process may use: llama.cpp's threads spin on barriers, so one thread more than there are
 * cores (SMT siblings included) stalls every decode — 4 threads on 2 cores generate ~100x slower. Detected once:
 * Linux reads the CPU topology from sysfs, macOS asks sysctl, elsewhere systeminformation; all capped by the CPUs
 * this process is allowed to run on (affinity, as os.availableParallelism reports it) less their SMT siblings.
 * WHITTLE_CPU_CORES overrides the detection (containers with a CPU quota, tests).
 */
export async function physicalCores(): Promise<number> {
  const override = Number.parseInt(process.env.WHITTLE_CPU_CORES ?? '', 10);
  if (Number.isInteger(override) && override >= 1) return override;
  detected ??= detect().catch(() => Math.max(1, os.availableParallelism()));
  return detected;
}

let detected: Promise<number> | undefined;

/** Threads for a model host: what the load options ask for, else (0 or unset: auto) the physical core count. */
export function resolveThreads(requested: number | undefined, cores: number): number {
  return requested && requested > 0 ? requested : Math.max(1, cores);
}

async function detect(): Promise<number> {
  const logical = os.cpus().length || 1;
  const usable = Math.max(1, Math.min(os.availableParallelism(), logical));
  const physical = physicalTotal() ?? (await fromSystemInformation()) ?? logical;
  // Scale the usable logical CPUs by the share of them that are distinct cores.
  return Math.max(1, Math.min(physical, Math.round((usable * physical) / logical)));
}

function physicalTotal(): number | null {
  if (process.platform === 'linux') {
    try {
      const base = '/sys/devices/system/cpu';
      const cores = new Set<string>();
      for (const d of readdirSync(base)) {
        if (!/^cpu\d+$/.test(d)) continue;
        try {
          const pkg = readFileSync(`${base}/${d}/topology/physical_package_id`, 'utf8').trim();
          const core = readFileSync(`${base}/${d}/topology/core_id`, 'utf8').trim();
          cores.add(`${pkg}:${core}`);
        } catch {
          // An offline CPU has no topology.
        }
      }
      return cores.size > 0 ? cores.size : null;
    } catch {
      return null;
    }
  }
  return null;
}

async function fromSystemInformation(): Promise<number | null> {
  try {
    const si = await import('systeminformation');
    const n = (await si.cpu()).physicalCores;
    return n > 0 ? n : null;
  } catch {
    return null;
  }
}
