import { z } from 'zod';

/**
 * The one channel between the Electron shell (main process) and the engine host (a utility process,
 * or a plain Node child in tests): the shell starts and stops the host, the host asks the shell for
 * what only Electron has (the keychain, the OS file manager). The app API itself does not pass here:
 * it is the host's loopback HTTP/WebSocket server, as under `whittle serve`.
 *
 *   shell -> host   start, response, shutdown
 *   host  -> shell  ready | failed, request
 */

const WorkerEntry = z.object({ script: z.string().min(1), execArgv: z.array(z.string()) });

export const HostStartConfig = z.object({
  dataDir: z.string().min(1),
  version: z.string(),
  worker: WorkerEntry,
  /** Default: model-host.js beside the job worker (the engine's own default). */
  modelHost: WorkerEntry.optional(),
  testJobs: z.boolean(),
  resumeInterrupted: z.boolean(),
  /** Where the OpenAI-compatible API listens when the user starts it (Chat → API server); a free port if taken. */
  apiPort: z.number().int().min(0).max(65535),
});
export type HostStartConfig = z.infer<typeof HostStartConfig>;

/** What the engine may ask of the shell. */
export const ShellCall = z.discriminatedUnion('method', [
  z.object({ method: z.literal('secret.read') }),
  z.object({ method: z.literal('secret.write'), secret: z.string().min(1).max(4096) }),
  z.object({ method: z.literal('secret.clear') }),
  z.object({ method: z.literal('reveal'), path: z.string().min(1).max(4096) }),
]);
export type ShellCall = z.infer<typeof ShellCall>;

export interface ShellResults {
  'secret.read': { kind: 'keychain' | 'file'; secret: string | null };
  'secret.write': null;
  'secret.clear': null;
  reveal: null;
}
export type ShellMethod = ShellCall['method'];
export type CallOf<M extends ShellMethod> = Extract<ShellCall, { method: M }>;

const RequestId = z.number().int().nonnegative();

export const ShellToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), config: HostStartConfig }),
  /** The answer to the host's request `id`: its value, or the error the shell met. */
  z.object({ type: z.literal('response'), id: RequestId, value: z.unknown(), error: z.string().optional() }),
  z.object({ type: z.literal('shutdown') }),
]);
export type ShellToHost = z.infer<typeof ShellToHost>;

export const HostToShell = z.discriminatedUnion('type', [
  /** The app API is up at `url` (loopback only), behind `token`, its session token (never handed to a page). */
  z.object({ type: z.literal('ready'), url: z.string().regex(/^http:\/\/127\.0\.0\.1:\d{1,5}$/), token: z.string().min(16), pid: z.number().int() }),
  /** The engine could not start; the host exits after this. */
  z.object({ type: z.literal('failed'), message: z.string() }),
  z.object({ type: z.literal('request'), id: RequestId, call: ShellCall }),
]);
export type HostToShell = z.infer<typeof HostToShell>;

/** The utility process's name in Electron's process metrics and `child-process-gone` events. */
export const ENGINE_SERVICE_NAME = 'Whittle Engine';
