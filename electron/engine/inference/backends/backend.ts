import type { z } from 'zod';
import type { InferenceCapability, InferenceRuntime, LoadOptions } from '../../../../shared/inference';
import type { ModelFormat } from '../../../../shared/models';
import type { HostBackend } from './host-backend';

/**
 * An inference backend as the engine declares it: the model formats it runs, what it can do, its load options
 * (its variant of LoadOptions), and the code its model host process loads. The engine reads only the declaration;
 * `host` is imported in the model host alone, so the engine never loads a runtime.
 */
export interface BackendDeclaration<R extends InferenceRuntime> {
  runtime: R;
  /** For messages: "llama.cpp", "ONNX Runtime". */
  title: string;
  formats: readonly ModelFormat[];
  capabilities: ReadonlySet<InferenceCapability>;
  options: z.ZodType<Extract<LoadOptions, { runtime: R }>, unknown>;
  /** The backend's host side; null while it is declared but not implemented (loads fail saying so). */
  host: (() => Promise<HostBackend>) | null;
}

/** Any one backend (a union over runtimes, so `runtime` narrows `options`). */
export type InferenceBackend = { [R in InferenceRuntime]: BackendDeclaration<R> }[InferenceRuntime];

export function defineBackend<R extends InferenceRuntime>(
  b: Omit<BackendDeclaration<R>, 'capabilities'> & { capabilities: readonly InferenceCapability[] },
): BackendDeclaration<R> {
  return { ...b, capabilities: new Set(b.capabilities) };
}
