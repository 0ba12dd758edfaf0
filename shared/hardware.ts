import { z } from 'zod';
import { jobKind } from './job-kind';

export const DiskInfo = z.object({
  mount: z.string(),
  filesystem: z.string(),
  type: z.string(),
  sizeBytes: z.number(),
  freeBytes: z.number(),
});

export const GpuInfo = z.object({
  name: z.string(),
  vendor: z.string(),
  vramBytes: z.number().nullable(),
  source: z.enum(['llama.cpp', 'system']),
});

export const SystemReport = z.object({
  createdAt: z.number(),
  os: z.object({ platform: z.string(), release: z.string(), arch: z.string(), hostname: z.string(), distro: z.string() }),
  cpu: z.object({
    brand: z.string(),
    manufacturer: z.string(),
    physicalCores: z.number(),
    logicalCores: z.number(),
    speedGHz: z.number().nullable(),
    flags: z.array(z.string()),
    /** The instruction-set features that decide which llama.cpp / ONNX Runtime kernels run. */
    features: z.record(z.string(), z.boolean()),
  }),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number(), swapTotalBytes: z.number() }),
  disks: z.array(DiskInfo),
  llama: z.object({
    version: z.string().nullable(),
    /** Backends node-llama-cpp has a binary for on this machine. */
    supportedGpuBackends: z.array(z.string()),
    selectedBackend: z.string(),
    gpus: z.array(GpuInfo),
    vram: z.object({ totalBytes: z.number(), freeBytes: z.number() }).nullable(),
    error: z.string().nullable(),
  }),
  onnxRuntime: z.object({
    version: z.string().nullable(),
    executionProviders: z.array(z.object({ name: z.string(), bundled: z.boolean() })),
    error: z.string().nullable(),
  }),
  systemGpus: z.array(GpuInfo),
  runtime: z.object({ node: z.string(), v8: z.string(), electron: z.string().nullable() }),
});
export type SystemReport = z.infer<typeof SystemReport>;

export const SystemReportInput = z.object({}).strict();

export const systemReportJob = jobKind({
  kind: 'system-report',
  title: 'System report',
  input: SystemReportInput.default({}),
  result: SystemReport,
  produces: ['system-report'],
});
