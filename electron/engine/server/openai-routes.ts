import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { EngineApi } from '../../../shared/api/engine-api';
import { InvalidInputError, NotFoundError } from '../../../shared/errors';
import {
  UnsupportedCapabilityError,
  type ChatMessage,
  type ChatRequest,
  type GenerationEvent,
  type GenerationResult,
  type SamplingParams,
} from '../../../shared/inference';
import type { LibraryModel } from '../../../shared/models';
import { canRun } from '../inference/backends/registry';
import { AmbiguousModelError, modelSlug, resolveModelRef } from '../models/model-ref';
import { newId } from '../util/ids';
import { OaChatRequest, OaCompletionRequest, OaEmbeddingRequest, type OaChatRequest as OaChat } from './openai-schemas';

type ErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'server_error';

function oaError(reply: FastifyReply, status: number, message: string, type: ErrorType, param: string | null = null, code: string | null = null): FastifyReply {
  return reply.code(status).send({ error: { message, type, param, code } });
}

function fail(reply: FastifyReply, err: unknown): FastifyReply {
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.end();
    return reply;
  }
  if (err instanceof z.ZodError) {
    const i = err.issues[0]!;
    const param = i.path.map(String).join('.') || null;
    return oaError(reply, 400, `${param ? `${param}: ` : ''}${i.message}`, 'invalid_request_error', param);
  }
  if (err instanceof NotFoundError) return oaError(reply, 404, err.message, 'invalid_request_error', 'model', 'model_not_found');
  if (err instanceof AmbiguousModelError) return oaError(reply, 400, err.message, 'invalid_request_error', 'model', 'model_ambiguous');
  if (err instanceof UnsupportedCapabilityError) return oaError(reply, 400, err.message, 'invalid_request_error', 'model', 'unsupported_capability');
  if (err instanceof InvalidInputError) return oaError(reply, 400, err.message, 'invalid_request_error');
  // The engine's own errors carry their HTTP status (a model that failed to load: 500; a busy host: 503).
  const status = (err as { status?: unknown }).status;
  const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
  return oaError(reply, code, err instanceof Error ? err.message : String(err), code < 500 ? 'invalid_request_error' : 'server_error');
}

/** Models /v1 serves: those an available inference backend chats with (backends/registry.ts), file present. */
const servable = (m: LibraryModel): boolean => !m.missing && canRun(m.format, 'chat');

/**
 * The library model a request's `model` names: its id, path, name or the slug of its name (models/model-ref.ts, as
 * `whittle chat <model>`), a servable model winning a tie. Unknown: 404 model_not_found; a name several models share:
 * 400 listing them; a model whose file is gone: 404 saying so.
 */
function requestedModel(api: EngineApi, ref: string): LibraryModel {
  let m: LibraryModel | null = null;
  try {
    m = api.models.get(ref);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  m ??= resolveModelRef(api.models.list({ limit: 5000 }), ref, { prefer: servable, listHint: 'GET /v1/models' });
  if (m.missing) throw new NotFoundError(`The file of model "${m.name}" (${m.path}) is missing; re-import or remove it`);
  return m;
}

const modelObject = (m: LibraryModel) => ({
  id: m.id,
  object: 'model' as const,
  created: Math.floor(m.createdAt / 1000),
  owned_by: 'whittle',
  name: m.name,
  slug: modelSlug(m.name),
});

/** fastify's own errors for a body it could not read (bad JSON, another content type, too large), in OpenAI's shape. */
function bodyErrorMessage(err: { code?: string; message: string }, contentType: string | undefined, bodyLimit: number): string | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'The body is not valid JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The body is empty: send a JSON object';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `Content-Type ${contentType ?? '(none)'} is not accepted: send the body as JSON with Content-Type: application/json`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `The body is larger than the server's limit of ${bodyLimit} bytes`;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The body is shorter or longer than its Content-Length';
  }
  // A JSON.parse failure: fastify passes the SyntaxError on with a 400.
  return err instanceof SyntaxError ? `The body is not valid JSON: ${err.message}` : null;
}

/**
 * Aborts when the client goes away before the answer is written: for whole (non-streamed) answers too, or an
 * abandoned request would keep a sequence generating to max_tokens. The response's `close` (not the request's, which
 * fires once the body is read) with `writableFinished` false means the connection ended early.
 */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) ac.abort();
  };
  reply.raw.once('close', onClose);
  if (reply.raw.destroyed || reply.raw.socket?.destroyed) ac.abort();
  return ac.signal;
}

function sampling(b: {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repeat_penalty?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  seed?: number;
  stop?: string | string[];
}): SamplingParams {
  // OpenAI's defaults where it has them (temperature 1, top_p 1); llama.cpp's for the rest.
  return {
    temperature: b.temperature ?? 1,
    topP: b.top_p ?? 1,
    topK: b.top_k ?? 40,
    minP: b.min_p ?? 0.05,
    repeatPenalty: b.repeat_penalty ?? 1,
    seed: b.seed,
    maxTokens: b.max_completion_tokens ?? b.max_tokens ?? 2048,
    stop: b.stop === undefined ? [] : Array.isArray(b.stop) ? b.stop : [b.stop],
  };
}

function messages(body: OaChat): ChatMessage[] {
  return body.messages.map((m, i) => {
    const content = typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text).join('');
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role === 'tool') return { role, content, ...(m.tool_call_id ? { toolCallId: m.tool_call_id } : {}) };
    if (role !== 'assistant' || !m.tool_calls?.length) return { role, content };
    const toolCalls = m.tool_calls.map((c, j) => {
      let args: unknown;
      try {
        args = c.function.arguments.trim() === '' ? {} : JSON.parse(c.function.arguments);
      } catch (err) {
        throw new InvalidInputError(`messages[${i}].tool_calls[${j}].function.arguments: not JSON (${(err as Error).message})`);
      }
      return { ...(c.id ? { id: c.id } : {}), name: c.function.name, arguments: args };
    });
    return { role, content, toolCalls };
  });
}

function toolChoice(c: OaChat['tool_choice']): ChatRequest['toolChoice'] {
  if (c === undefined) return undefined;
  return typeof c === 'string' ? c : { name: c.function.name };
}

// cached_tokens: prompt tokens reused from the KV cache of an earlier request these messages extend.
const usage = (r: GenerationResult) => ({
  prompt_tokens: r.metrics.promptTokens,
  completion_tokens: r.metrics.completionTokens,
  total_tokens: r.metrics.promptTokens + r.metrics.completionTokens,
  prompt_tokens_details: { cached_tokens: r.metrics.cachedTokens ?? 0 },
});

function chatLogprobs(r: GenerationResult) {
  return r.logprobs
    ? {
        content: r.logprobs.map((l) => ({
          token: l.token,
          logprob: l.logprob,
          bytes: [...Buffer.from(l.token)],
          top_logprobs: l.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: [...Buffer.from(t.token)] })),
        })),
      }
    : null;
}

function toolCalls(r: GenerationResult) {
  return r.toolCalls.map((c, i) => ({
    id: `call_${i}_${newId('t')}`,
    type: 'function' as const,
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));
}

/**
 * Server-sent events: one `data:` line per chunk, `[DONE]` at the end; a client that goes away stops the generation.
 * The 200 and the event-stream headers go out with the first event, so whatever fails before it (the model failing
 * to load, a request the model host rejects) is answered with its HTTP status and an OpenAI error body instead.
 */
async function sse(
  reply: FastifyReply,
  run: (emit: (e: GenerationEvent) => void, signal: AbortSignal) => Promise<GenerationResult>,
  chunk: (e: GenerationEvent) => unknown[],
): Promise<void> {
  const signal = clientGone(reply);
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    reply.hijack();
    reply.raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...(reply.getHeaders() as Record<string, string>),
    });
  };
  const write = (e: GenerationEvent): void => {
    start();
    for (const c of chunk(e)) reply.raw.write(`data: ${JSON.stringify(c)}\n\n`);
  };
  let result: GenerationResult;
  try {
    result = await run(write, signal);
  } catch (err) {
    if (!started) throw err;
    const e = err instanceof Error ? err.message : String(err);
    reply.raw.write(
      `data: ${JSON.stringify({ error: { message: e, type: err instanceof InvalidInputError ? 'invalid_request_error' : 'server_error', param: null, code: null } })}\n\n`,
    );
    reply.raw.end();
    return;
  }
  write({ type: 'done', result });
  reply.raw.write('data: [DONE]\n\n');
  reply.raw.end();
}

/**
 * The OpenAI-compatible API: /v1/models (and /v1/models/{model}), /v1/chat/completions, /v1/completions, /v1/embeddings.
 * Models are listed by their library ids; `model` also takes a path, a name or its slug (requestedModel).
 */
export async function registerOpenAiRoutes(app: FastifyInstance, api: EngineApi): Promise<void> {
  await app.register(
    (v1, _opts, done) => {
      v1.addHook('onRequest', async (req, reply) => {
        const settings = api.inference.openAiSettings();
        const origin = req.headers.origin;
        if (origin && settings.corsOrigins.includes(origin)) {
          reply
            .header('Access-Control-Allow-Origin', origin)
            .header('Vary', 'Origin')
            .header('Access-Control-Allow-Headers', 'Authorization, Content-Type')
            .header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
          if (req.method === 'OPTIONS') return reply.code(204).send();
        }
        if (!settings.enabled)
          return oaError(reply, 503, 'The OpenAI-compatible API is turned off in Whittle (Chat → Server)', 'server_error', null, 'api_disabled');
        if (settings.apiKeySet && !(await api.inference.checkApiKey(req.headers.authorization)))
          return oaError(reply, 401, 'Missing or wrong API key: send Authorization: Bearer <key>', 'authentication_error', null, 'invalid_api_key');
      });

      // Only JSON bodies: a text/plain POST (which browsers send cross-site without a preflight) is refused, not parsed.
      v1.removeContentTypeParser('text/plain');
      const bodyLimit = v1.initialConfig.bodyLimit ?? 1 << 20;
      v1.setErrorHandler(async (err: { code?: string; message: string; statusCode?: number }, req, reply) => {
        const bodyMessage = bodyErrorMessage(err, req.headers['content-type'], bodyLimit);
        if (bodyMessage) return oaError(reply, 400, bodyMessage, 'invalid_request_error');
        const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
        return oaError(reply, status, err.message, status < 500 ? 'invalid_request_error' : 'server_error');
      });

      // Models whose file is missing are left out (GET /v1/models/{id} and requests for them answer 404 saying why).
      v1.get('/models', (_req, reply) => reply.send({ object: 'list', data: api.models.list({ limit: 5000 }).filter(servable).map(modelObject) }));

      // `*`, not `:id`: a path or a name may hold a '/'.
      v1.get('/models/*', async (req, reply) => {
        try {
          const ref = (req.params as { '*': string })['*'];
          const m = requestedModel(api, ref);
          if (!canRun(m.format, 'chat'))
            throw new NotFoundError(`"${m.name}" is a ${m.format} model, which no available inference backend runs (convert it to GGUF first)`);
          return modelObject(m);
        } catch (err) {
          return fail(reply, err);
        }
      });

      v1.post('/chat/completions', async (req, reply) => {
        try {
          const body = OaChatRequest.parse(req.body);
          const modelId = requestedModel(api, body.model).id;
          const jsonSchema =
            body.response_format?.type === 'json_schema'
              ? body.response_format.json_schema.schema
              : body.response_format?.type === 'json_object'
                ? { type: 'object' }
                : undefined;
          const chatReq = {
            modelId,
            messages: messages(body),
            params: sampling(body),
            jsonSchema,
            logprobs: body.logprobs ? (body.top_logprobs ?? 0) : undefined,
            tools: body.tools?.map((t) => ({ name: t.function.name, description: t.function.description, parameters: t.function.parameters })),
            toolChoice: toolChoice(body.tool_choice),
            parallelToolCalls: body.parallel_tool_calls,
          };
          const id = `chatcmpl-${newId('c')}`;
          const created = Math.floor(Date.now() / 1000);
          if (!body.stream) {
            const r = await api.inference.chat(chatReq, undefined, clientGone(reply));
            const calls = toolCalls(r);
            return {
              id,
              object: 'chat.completion',
              created,
              model: body.model,
              choices: [
                {
                  index: 0,
                  message: { role: 'assistant', content: calls.length ? null : r.text, ...(calls.length ? { tool_calls: calls } : {}) },
                  finish_reason: r.finishReason === 'abort' ? 'stop' : r.finishReason,
                  logprobs: chatLogprobs(r),
                },
              ],
              usage: usage(r),
            };
          }
          let first = true;
          await sse(
            reply,
            (emit, signal) => api.inference.chat(chatReq, emit, signal),
            (e) => {
              const base = { id, object: 'chat.completion.chunk', created, model: body.model };
              if (e.type === 'text') {
                const delta = first ? { role: 'assistant', content: e.text } : { content: e.text };
                first = false;
                return [
                  {
                    ...base,
                    choices: [
                      {
                        index: 0,
                        delta,
                        finish_reason: null,
                        logprobs: e.logprob
                          ? { content: [{ token: e.logprob.token, logprob: e.logprob.logprob, bytes: null, top_logprobs: e.logprob.top }] }
                          : null,
                      },
                    ],
                  },
                ];
              }
              const calls = toolCalls(e.result);
              const out: unknown[] = [
                {
                  ...base,
                  choices: [
                    {
                      index: 0,
                      delta: calls.length ? { tool_calls: calls.map((c, index) => ({ index, ...c })) } : {},
                      finish_reason: e.result.finishReason === 'abort' ? 'stop' : e.result.finishReason,
                      logprobs: null,
                    },
                  ],
                },
              ];
              if (body.stream_options?.include_usage) out.push({ ...base, choices: [], usage: usage(e.result) });
              return out;
            },
          );
          return reply;
        } catch (err) {
          return fail(reply, err);
        }
      });

      v1.post('/completions', async (req, reply) => {
        try {
          const body = OaCompletionRequest.parse(req.body);
          const modelId = requestedModel(api, body.model).id;
          const prompt = Array.isArray(body.prompt) ? body.prompt[0]! : body.prompt;
          const compReq = { modelId, prompt, params: sampling(body), logprobs: body.logprobs ?? undefined };
          const id = `cmpl-${newId('c')}`;
          const created = Math.floor(Date.now() / 1000);
          const lp = (r: GenerationResult) =>
            r.logprobs
              ? {
                  tokens: r.logprobs.map((l) => l.token),
                  token_logprobs: r.logprobs.map((l) => l.logprob),
                  top_logprobs: r.logprobs.map((l) => Object.fromEntries(l.top.map((t) => [t.token, t.logprob]))),
                  text_offset: [],
                }
              : null;
          if (!body.stream) {
            const r = await api.inference.complete(compReq, undefined, clientGone(reply));
            return {
              id,
              object: 'text_completion',
              created,
              model: body.model,
              choices: [{ index: 0, text: r.text, finish_reason: r.finishReason === 'abort' ? 'stop' : r.finishReason, logprobs: lp(r) }],
              usage: usage(r),
            };
          }
          await sse(
            reply,
            (emit, signal) => api.inference.complete(compReq, emit, signal),
            (e) =>
              e.type === 'text'
                ? [{ id, object: 'text_completion', created, model: body.model, choices: [{ index: 0, text: e.text, finish_reason: null, logprobs: null }] }]
                : [
                    {
                      id,
                      object: 'text_completion',
                      created,
                      model: body.model,
                      choices: [{ index: 0, text: '', finish_reason: e.result.finishReason === 'abort' ? 'stop' : e.result.finishReason, logprobs: null }],
                      ...(body.stream_options?.include_usage ? { usage: usage(e.result) } : {}),
                    },
                  ],
          );
          return reply;
        } catch (err) {
          return fail(reply, err);
        }
      });

      v1.post('/embeddings', async (req, reply) => {
        try {
          const body = OaEmbeddingRequest.parse(req.body);
          const modelId = requestedModel(api, body.model).id;
          const input = Array.isArray(body.input) ? body.input : [body.input];
          const r = await api.inference.embed({ modelId, input }, clientGone(reply));
          // base64 is what the official clients ask for by default: little-endian float32s.
          const encode = (v: number[]): number[] | string =>
            body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
          return {
            object: 'list',
            model: body.model,
            data: r.vectors.map((v, index) => ({ object: 'embedding', index, embedding: encode(v) })),
            usage: { prompt_tokens: r.tokens, total_tokens: r.tokens },
          };
        } catch (err) {
          return fail(reply, err);
        }
      });

      v1.all('/*', async (req, reply) => oaError(reply, 404, `Unknown endpoint ${req.method} ${req.url}`, 'invalid_request_error', null, 'not_found'));
      done();
    },
    { prefix: '/v1' },
  );
}
