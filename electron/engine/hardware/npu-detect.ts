import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { NpuDevice } from '../../../shared/toolchain';

/** Linux accel-subsystem drivers that belong to NPUs. */
const LINUX_DRIVERS: Record<string, { name: string; vendor: string }> = {
  intel_vpu: { name: 'Intel NPU (AI Boost)', vendor: 'Intel' },
  amdxdna: { name: 'AMD XDNA NPU (Ryzen AI)', vendor: 'AMD' },
  qaic: { name: 'Qualcomm Cloud AI accelerator', vendor: 'Qualcomm' },
  habanalabs: { name: 'Intel Gaudi accelerator', vendor: 'Intel' },
};

export async function detectLinuxNpus(sysClassAccel = '/sys/class/accel'): Promise<NpuDevice[]> {
  if (!existsSync(sysClassAccel)) return [];
  const out: NpuDevice[] = [];
  for (const dev of await readdir(sysClassAccel)) {
    let driver = 'unknown';
    try {
      driver = basename(await readlink(join(sysClassAccel, dev, 'device', 'driver')));
    } catch {
      try {
        driver = /DRIVER=(\S+)/.exec(await readFile(join(sysClassAccel, dev, 'device', 'uevent'), 'utf8'))?.[1] ?? driver;
      } catch {
        /* no driver info */
      }
    }
    const known = LINUX_DRIVERS[driver];
    out.push({ name: known?.name ?? `Accelerator ${dev}`, vendor: known?.vendor ?? 'unknown', source: `/sys/class/accel/${dev} (driver ${driver})` });
  }
  return out;
}

/** Windows lists NPUs in the ComputeAccelerator device class (Intel AI Boost, AMD IPU/NPU, Qualcomm Hexagon). */
function detectWindowsNpus(): Promise<NpuDevice[]> {
  return new Promise((resolve) => {
    const script =
      'Get-PnpDevice -Class ComputeAccelerator -PresentOnly -ErrorAction SilentlyContinue | Select-Object FriendlyName,Manufacturer,InstanceId | ConvertTo-Json -Compress';
    execFile('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], { timeout: 10_000, windowsHide: true }, (err, stdout) => {
      if (err || !stdout.trim()) return resolve([]);
      try {
        const raw = JSON.parse(stdout) as
          { FriendlyName: string; Manufacturer: string; InstanceId: string } | { FriendlyName: string; Manufacturer: string; InstanceId: string }[];
        resolve((Array.isArray(raw) ? raw : [raw]).map((d) => ({ name: d.FriendlyName, vendor: d.Manufacturer, source: d.InstanceId })));
      } catch {
        resolve([]);
      }
    });
  });
}

/** NPUs this machine exposes, where the OS makes them detectable without vendor SDKs. */
export async function detectNpus(platform: NodeJS.Platform = process.platform, arch: string = process.arch): Promise<NpuDevice[]> {
  if (platform === 'linux') return detectLinuxNpus();
  if (platform === 'win32') return detectWindowsNpus();
  if (platform === 'darwin' && arch === 'arm64')
    return [{ name: 'Apple Neural Engine', vendor: 'Apple', source: 'every Apple silicon Mac (used through Core ML)' }];
  return [];
}
