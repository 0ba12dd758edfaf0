import { InvalidInputError } from '../../../../shared/errors';
import {
  INFERENCE_RUNTIMES,
  UnsupportedCapabilityError,
  type ChatRequest,
  type CompletionRequest,
  type InferenceCapability,
  type InferenceRuntime,
} from '../../../../shared/inference';
import type { ModelFormat } from '../../../../shared/models';
import type { HostOp, HostOps } from '../host-protocol';
import type { BackendDeclaration, InferenceBackend } from './backend';
import { llamaCppBackend } from './llama-cpp';
import { onnxBackend } from './onnx';

/** Every backend, by runtime. A new backend is one module in this folder, added here. */
const BACKENDS: { [R in InferenceRuntime]: BackendDeclaration<R> } = {
  'llama.cpp': llamaCppBackend,
  onnx: onnxBackend,
};

export function backendByRuntime(runtime: InferenceRuntime): InferenceBackend {
  return BACKENDS[runtime];
}

export function backendForFormat(format: ModelFormat): InferenceBackend | null {
  return INFERENCE_RUNTIMES.map((r): InferenceBackend => BACKENDS[r]).find((b) => b.formats.includes(format)) ?? null;
}

/** Whether models of this format can be loaded now and serve `capability` (what /v1 lists, what `whittle chat` prefers). */
export function canRun(format: ModelFormat, capability: InferenceCapability): boolean {
  const b = backendForFormat(format);
  return !!b?.host && b.capabilities.has(capability);
}

/** The backend that runs this model; refuses (naming what would) when none does or it is not implemented yet. */
export function backendFor(model: { name: string; format: ModelFormat }): InferenceBackend {
  const b = backendForFormat(model.format);
  if (!b) {
    const runnable = INFERENCE_RUNTIMES.flatMap((r) => (BACKENDS[r].host ? BACKENDS[r].formats : [])).map((f) => f.toUpperCase());
    throw new InvalidInputError(`modelId: ${model.name} is a ${model.format} model; Whittle runs ${runnable.join(' and ')} models (convert it to GGUF first)`);
  }
  if (!b.host)
    throw new InvalidInputError(
      `modelId: ${model.name} is a ${model.format} model, which runs on ${b.title}: that backend is not available yet in this version of Whittle`,
    );
  return b;
}

const VERBS: Record<InferenceCapability, string> = {
  chat: 'chat',
  complete: 'complete text',
  embed: 'compute embeddings',
  tokenize: 'tokenize',
  score: 'score continuations',
  perplexity: 'measure perplexity',
  applyTemplate: 'apply a chat template',
  tools: 'call tools',
  grammar: 'constrain output to a JSON schema',
  logprobs: 'report log-probabilities',
};

/** The capabilities a request needs: its own, and the features it asks for. */
export function capabilitiesOf<Op extends HostOp>(op: Op, input: HostOps[Op]['input']): InferenceCapability[] {
  const caps: InferenceCapability[] = [op];
  if (op === 'chat' || op === 'complete') {
    const gen = input as ChatRequest | CompletionRequest;
    if (gen.jsonSchema) caps.push('grammar');
    if (gen.logprobs !== undefined) caps.push('logprobs');
    if ('tools' in gen && gen.tools?.length && gen.toolChoice !== 'none') caps.push('tools');
  }
  return caps;
}

/** Throws UnsupportedCapabilityError for the first capability the request needs that the backend lacks. */
export function assertCapabilities<Op extends HostOp>(backend: InferenceBackend, modelName: string, op: Op, input: HostOps[Op]['input']): void {
  const missing = capabilitiesOf(op, input).find((c) => !backend.capabilities.has(c));
  if (missing) throw new UnsupportedCapabilityError(backend.runtime, missing, `${modelName} runs on ${backend.title}, which cannot ${VERBS[missing]}`);
}
