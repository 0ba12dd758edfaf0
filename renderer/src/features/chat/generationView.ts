import type { ConversationParams } from '../../../../shared/chat';
import type { FunctionTool } from '../../../../shared/inference';

/**
 * Pure helpers for the conversation's generation settings: chat template, JSON schema (structured output) and tools.
 * Validated by hand: the renderer does not run zod (its JIT would trip the page's CSP).
 */

/** Jinja templates offered by name: node-llama-cpp renders them with its Jinja wrapper, like a model's own. */
export const NAMED_TEMPLATES: readonly { id: string; label: string; template: string }[] = [
  {
    id: 'chatml',
    label: 'ChatML',
    template:
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  },
  {
    id: 'llama3',
    label: 'Llama 3',
    template:
      "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
  },
  {
    id: 'gemma',
    label: 'Gemma',
    template:
      "{{ bos_token }}{% for message in messages %}{% set role = 'model' if message['role'] == 'assistant' else 'user' %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}",
  },
];

/** 'model', 'custom', or the name of a built-in template. */
export type TemplateChoice = string;

export function templateChoice(template: string | undefined): TemplateChoice {
  if (!template) return 'model';
  return NAMED_TEMPLATES.find((t) => t.template === template)?.id ?? 'custom';
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** A JSON schema typed in: empty is none; else a JSON object. */
export function parseJsonSchema(text: string): Parsed<Record<string, unknown> | undefined> {
  if (!text.trim()) return { ok: true, value: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `JSON schema: not valid JSON (${(e as Error).message})` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, error: 'JSON schema: must be a JSON object, like {"type":"object","properties":{…}}' };
  return { ok: true, value: value as Record<string, unknown> };
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Tools typed in as a JSON array of OpenAI function tools ({"type":"function","function":{name, description, parameters}}); empty is none. */
export function parseTools(text: string): Parsed<FunctionTool[] | undefined> {
  if (!text.trim()) return { ok: true, value: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `Tools: not valid JSON (${(e as Error).message})` };
  }
  if (!Array.isArray(value)) return { ok: false, error: 'Tools: must be a JSON array of {"type":"function","function":{…}}' };
  if (value.length > 64) return { ok: false, error: 'Tools: at most 64' };
  const out: FunctionTool[] = [];
  const names = new Set<string>();
  for (const [i, item] of value.entries()) {
    const at = `Tools: item ${i + 1}`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) return { ok: false, error: `${at} is not an object` };
    const { type, function: fn, ...rest } = item as Record<string, unknown>;
    if (type !== 'function') return { ok: false, error: `${at}: "type" must be "function"` };
    if (Object.keys(rest).length) return { ok: false, error: `${at}: unknown field "${Object.keys(rest)[0]}"` };
    if (!fn || typeof fn !== 'object' || Array.isArray(fn)) return { ok: false, error: `${at}: "function" must be an object` };
    const { name, description, parameters, ...extra } = fn as Record<string, unknown>;
    if (typeof name !== 'string' || !TOOL_NAME.test(name)) return { ok: false, error: `${at}: function.name must be 1 to 64 letters, digits, _ or -` };
    if (names.has(name)) return { ok: false, error: `${at}: the name "${name}" is used twice` };
    names.add(name);
    if (description !== undefined && typeof description !== 'string') return { ok: false, error: `${at}: function.description must be a string` };
    if (parameters !== undefined && (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)))
      return { ok: false, error: `${at}: function.parameters must be a JSON schema object` };
    if (Object.keys(extra).length) return { ok: false, error: `${at}: unknown field "function.${Object.keys(extra)[0]}"` };
    out.push({
      name,
      ...(description === undefined ? {} : { description }),
      ...(parameters === undefined ? {} : { parameters: parameters as Record<string, unknown> }),
    });
  }
  return { ok: true, value: out.length ? out : undefined };
}

export function formatTools(tools: FunctionTool[] | undefined): string {
  return tools?.length
    ? JSON.stringify(
        tools.map((f) => ({ type: 'function', function: f })),
        null,
        2,
      )
    : '';
}

export function formatSchema(schema: Record<string, unknown> | undefined): string {
  return schema ? JSON.stringify(schema, null, 2) : '';
}

/** params with `key` set, or removed when undefined (a saved params object has no undefined fields). */
export function withParam<K extends 'chatTemplate' | 'jsonSchema' | 'tools'>(
  params: ConversationParams,
  key: K,
  value: ConversationParams[K],
): ConversationParams {
  const { [key]: _old, ...rest } = params;
  return (value === undefined ? rest : { ...rest, [key]: value }) as ConversationParams;
}
