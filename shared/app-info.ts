import { z } from 'zod';

export const AppInfo = z.object({
  name: z.literal('Whittle'),
  version: z.string(),
  dataDir: z.string(),
  host: z.enum(['electron', 'server', 'cli']),
  platform: z.string(),
  arch: z.string(),
  testJobs: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfo>;
