import { z } from 'zod';

/** The subset of OpenAI's request bodies Whittle serves; unknown fields are ignored as OpenAI's own server does. */
const stop = z.union([z.string(), z.array(z.string()).max(16)]).optional();
const sampling = {
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  min_p: z.number().min(0).max(1).optional(),
  repeat_penalty: z.number().min(0).max(5).optional(),
  max_tokens: z.number().int().min(1).optional(),
  max_completion_tokens: z.number().int().min(1).optional(),
  seed: z.number().int().min(0).optional(),
  stop,
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  n: z.literal(1).optional(),
};

const contentPart = z.object({ type: z.literal('text'), text: z.string() });
export const OaChatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  tool_calls: z
    .array(z.object({ id: z.string().optional(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) }))
    .optional(),
  tool_call_id: z.string().optional(),
});

export const OaChatRequest = z.object({
  ...sampling,
  messages: z.array(OaChatMessage).min(1),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()), strict: z.boolean().optional() }),
      }),
    ])
    .optional(),
  tools: z
    .array(
      z.object({
        type: z.literal('function'),
        function: z.object({ name: z.string().min(1), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
      }),
    )
    .optional(),
  tool_choice: z
    .union([z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) })])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(20).optional(),
});
export type OaChatRequest = z.infer<typeof OaChatRequest>;

export const OaCompletionRequest = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  logprobs: z.number().int().min(0).max(5).nullable().optional(),
  echo: z.literal(false).optional(),
});
export type OaCompletionRequest = z.infer<typeof OaCompletionRequest>;

export const OaEmbeddingRequest = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
});
