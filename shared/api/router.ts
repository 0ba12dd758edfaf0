import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ArtifactIdRequest, ArtifactsPageRequest, ListArtifactsRequest } from '../artifacts';
import { DownloadModelInput, HubRepoRequest, HubSearchRequest, HubTokenRequest, PullRequest } from '../hub';
import { JobIdRequest, JobLogRequest, JobMetricsRequest, JobRowsRequest, ListJobsRequest, StartJobRequest } from '../jobs';
import { ToolchainInstallInput } from '../toolchain';
import {
  ApplyTemplateRequest,
  ChatRequest,
  CompletionRequest,
  LoadModelRequest,
  PerplexityRequest,
  ScoreRequest,
  UpdateOpenAiSettings,
  type GenerationEvent,
  type PerplexityProgress,
  type PerplexityResult,
} from '../inference';
import { AddMessageRequest, CreateConversationRequest, ExportConversationRequest, ReplyRequest, UpdateConversationRequest, type ReplyEvent } from '../chat';
import { pushIterator } from '../push-iterator';
import {
  ConvertModelInput,
  ImportModelInput,
  InspectPathInput,
  ListModelsRequest,
  MemoryFitRequest,
  ModelIdRequest,
  RemoveModelRequest,
  TrustModelCodeRequest,
  UpdateModelRequest,
} from '../models';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors';
import type { EngineApi } from './engine-api';

export interface ApiContext {
  api: EngineApi;
}

export interface ApiIssue {
  path: string;
  message: string;
}

/** "kind: Invalid option ...; input.seconds: Too small ..." so a 4xx always names the field. */
export function describeIssues(issues: readonly ApiIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

function issuesOf(cause: unknown): ApiIssue[] | null {
  if (cause instanceof z.ZodError) {
    return cause.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  }
  return null;
}

const t = initTRPC.context<ApiContext>().create({
  isServer: true,
  errorFormatter({ shape, error }) {
    const issues = issuesOf(error.cause);
    return {
      ...shape,
      message: issues ? `Invalid request: ${describeIssues(issues)}` : shape.message,
      data: { ...shape.data, stack: undefined, issues },
    };
  },
});

/** The engine's errors (shared/errors.ts) map to tRPC codes: NOT_FOUND, CONFLICT, BAD_REQUEST. */
const mapErrors = t.middleware(async ({ next }) => {
  const res = await next();
  if (!res.ok) {
    const cause = res.error.cause;
    if (cause instanceof NotFoundError) throw new TRPCError({ code: 'NOT_FOUND', message: cause.message, cause });
    if (cause instanceof ConflictError) throw new TRPCError({ code: 'CONFLICT', message: cause.message, cause });
    if (cause instanceof InvalidInputError) throw new TRPCError({ code: 'BAD_REQUEST', message: cause.message, cause });
  }
  return res;
});

const p = t.procedure.use(mapErrors);

/** The most jobs one request may start: a batched HTTP request (`?batch=1`) carries any number of calls. */
export const MAX_JOBS_PER_REQUEST = 8;
/**
 * Job starts per context. An HTTP request (a whole batch) gets its own context; a WebSocket connection keeps one, so
 * there the count is per second.
 */
const jobStarts = new WeakMap<object, { count: number; since: number }>();
const startsJob = t.middleware(async ({ ctx, next }) => {
  const now = Date.now();
  const seen = jobStarts.get(ctx);
  const entry = seen && now - seen.since < 1000 ? { count: seen.count + 1, since: seen.since } : { count: 1, since: now };
  jobStarts.set(ctx, entry);
  if (entry.count > MAX_JOBS_PER_REQUEST) {
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: `One request may start at most ${MAX_JOBS_PER_REQUEST} jobs; start the others in another request`,
    });
  }
  return next();
});
/** Procedures that start (or restart) a job. */
const pj = p.use(startsJob);

function stream(
  signal: AbortSignal | undefined,
  run: (onEvent: (e: GenerationEvent) => void, signal: AbortSignal) => Promise<import('../inference').GenerationResult>,
): AsyncGenerator<GenerationEvent> {
  const ac = new AbortController();
  signal?.addEventListener('abort', () => ac.abort(), { once: true });
  const it = pushIterator<GenerationEvent>();
  run((e) => it.push(e), ac.signal).then(
    (result) => {
      it.push({ type: 'done', result });
      it.end();
    },
    (err: unknown) => it.fail(err instanceof Error ? err : new Error(String(err))),
  );
  return it.iterator;
}

type PerplexityEvent = ({ type: 'progress' } & PerplexityProgress) | { type: 'done'; result: PerplexityResult };

function perplexityStream(
  signal: AbortSignal | undefined,
  run: (onProgress: (p: PerplexityProgress) => void, signal: AbortSignal) => Promise<PerplexityResult>,
): AsyncGenerator<PerplexityEvent> {
  const ac = new AbortController();
  signal?.addEventListener('abort', () => ac.abort(), { once: true });
  const it = pushIterator<PerplexityEvent>();
  run((p) => it.push({ type: 'progress', ...p }), ac.signal).then(
    (result) => {
      it.push({ type: 'done', result });
      it.end();
    },
    (err: unknown) => it.fail(err instanceof Error ? err : new Error(String(err))),
  );
  return it.iterator;
}

export const appRouter = t.router({
  app: t.router({
    info: p.query(({ ctx }) => ctx.api.app.info()),
  }),
  jobs: t.router({
    list: p.input(ListJobsRequest.prefault({})).query(({ ctx, input }) => ctx.api.jobs.list(input)),
    get: p.input(JobIdRequest).query(({ ctx, input }) => ctx.api.jobs.get(input.id)),
    start: pj.input(StartJobRequest).mutation(({ ctx, input }) => ctx.api.jobs.start(input)),
    cancel: p.input(JobIdRequest).mutation(({ ctx, input }) => ctx.api.jobs.cancel(input.id)),
    retry: pj.input(JobIdRequest).mutation(({ ctx, input }) => ctx.api.jobs.retry(input.id)),
    pause: p.input(JobIdRequest).mutation(({ ctx, input }) => ctx.api.jobs.pause(input.id)),
    resume: pj.input(JobIdRequest).mutation(({ ctx, input }) => ctx.api.jobs.resume(input.id)),
    log: p.input(JobLogRequest).query(({ ctx, input }) => ctx.api.jobs.log(input.id, input.tailLines)),
    metrics: p.input(JobMetricsRequest).query(({ ctx, input }) => ctx.api.jobs.metrics(input)),
    rows: p.input(JobRowsRequest).query(({ ctx, input }) => ctx.api.jobs.rows(input)),
    events: p.subscription(async function* ({ ctx, signal }) {
      yield* ctx.api.jobs.events(signal);
    }),
  }),
  hardware: t.router({
    latestReport: p.query(({ ctx }) => ctx.api.hardware.latestReport()),
  }),
  artifacts: t.router({
    list: p.input(ListArtifactsRequest.prefault({})).query(({ ctx, input }) => ctx.api.artifacts.list(input)),
    page: p.input(ArtifactsPageRequest.prefault({})).query(({ ctx, input }) => ctx.api.artifacts.page(input)),
    lineage: p.input(ArtifactIdRequest).query(({ ctx, input }) => ctx.api.artifacts.lineage(input.id)),
  }),
  models: t.router({
    list: p.input(ListModelsRequest.prefault({})).query(({ ctx, input }) => ctx.api.models.list(input)),
    get: p.input(ModelIdRequest).query(({ ctx, input }) => ctx.api.models.get(input.id)),
    import: pj.input(ImportModelInput).mutation(({ ctx, input }) => ctx.api.models.import(input)),
    inspectPath: pj.input(InspectPathInput).mutation(({ ctx, input }) => ctx.api.models.inspectPath(input.path, input.hash)),
    update: p.input(UpdateModelRequest).mutation(({ ctx, input }) => ctx.api.models.update(input)),
    remove: p.input(RemoveModelRequest).mutation(({ ctx, input }) => ctx.api.models.remove(input)),
    reveal: p.input(ModelIdRequest).mutation(({ ctx, input }) => ctx.api.models.reveal(input.id)),
    memoryFit: p.input(MemoryFitRequest).query(({ ctx, input }) => ctx.api.models.memoryFit(input)),
    hfCache: p.query(({ ctx }) => ctx.api.models.hfCache()),
    convert: pj.input(ConvertModelInput).mutation(({ ctx, input }) => ctx.api.models.convert(input)),
    trustCode: p.input(TrustModelCodeRequest).mutation(({ ctx, input }) => ctx.api.models.trustCode(input)),
  }),
  inference: t.router({
    list: p.query(({ ctx }) => ctx.api.inference.list()),
    load: p.input(LoadModelRequest).mutation(({ ctx, input }) => ctx.api.inference.load(input)),
    unload: p.input(z.object({ modelId: z.string().min(1) }).strict()).mutation(({ ctx, input }) => ctx.api.inference.unload(input.modelId)),
    countTokens: p
      .input(z.object({ modelId: z.string().min(1), text: z.string().max(1 << 20) }).strict())
      .query(({ ctx, input }) => ctx.api.inference.countTokens(input.modelId, input.text)),
    /** Streams the reply: text events, then one `done` with the result and its metrics. Unsubscribing stops the generation. */
    chat: p.input(ChatRequest).subscription(({ ctx, input, signal }) => stream(signal, (onEvent, s) => ctx.api.inference.chat(input, onEvent, s))),
    complete: p
      .input(CompletionRequest)
      .subscription(({ ctx, input, signal }) => stream(signal, (onEvent, s) => ctx.api.inference.complete(input, onEvent, s))),
    capabilities: p.input(z.object({ modelId: z.string().min(1) }).strict()).query(({ ctx, input }) => ctx.api.inference.capabilities(input.modelId)),
    score: p.input(ScoreRequest).mutation(({ ctx, input, signal }) => ctx.api.inference.score(input, signal)),
    perplexity: p
      .input(PerplexityRequest)
      .subscription(({ ctx, input, signal }) => perplexityStream(signal, (onProgress, s) => ctx.api.inference.perplexity(input, onProgress, s))),
    applyTemplate: p.input(ApplyTemplateRequest).mutation(({ ctx, input }) => ctx.api.inference.applyTemplate(input)),
    events: p.subscription(({ ctx, signal }) => ctx.api.inference.events(signal)),
    openAiSettings: p.query(({ ctx }) => ctx.api.inference.openAiSettings()),
    updateOpenAiSettings: p.input(UpdateOpenAiSettings).mutation(({ ctx, input }) => ctx.api.inference.updateOpenAiSettings(input)),
    serverInfo: p.query(({ ctx }) => ctx.api.inference.serverInfo()),
    setServerRunning: p.input(z.object({ running: z.boolean() }).strict()).mutation(({ ctx, input }) => ctx.api.inference.setServerRunning(input.running)),
  }),
  conversations: t.router({
    list: p.query(({ ctx }) => ctx.api.conversations.list()),
    get: p.input(z.object({ id: z.string().min(1) }).strict()).query(({ ctx, input }) => ctx.api.conversations.get(input.id)),
    create: p.input(CreateConversationRequest).mutation(({ ctx, input }) => ctx.api.conversations.create(input)),
    update: p.input(UpdateConversationRequest).mutation(({ ctx, input }) => ctx.api.conversations.update(input)),
    remove: p.input(z.object({ id: z.string().min(1) }).strict()).mutation(({ ctx, input }) => ctx.api.conversations.remove(input.id)),
    addMessage: p.input(AddMessageRequest).mutation(({ ctx, input }) => ctx.api.conversations.addMessage(input)),
    reply: p.input(ReplyRequest).subscription(({ ctx, input, signal }) => {
      const it = pushIterator<ReplyEvent>();
      ctx.api.conversations
        .reply(input, (e) => it.push(e), signal)
        .then(
          () => it.end(),
          (err: unknown) => it.fail(err instanceof Error ? err : new Error(String(err))),
        );
      return it.iterator;
    }),
    stopReply: p
      .input(z.object({ conversationId: z.string().min(1) }).strict())
      .mutation(({ ctx, input }) => ctx.api.conversations.stopReply(input.conversationId)),
    export: p.input(ExportConversationRequest).mutation(({ ctx, input }) => ctx.api.conversations.export(input)),
  }),
  toolchain: t.router({
    status: p
      .input(
        z
          .object({ deep: z.boolean().default(false) })
          .strict()
          .prefault({}),
      )
      .query(({ ctx, input }) => ctx.api.toolchain.status(input.deep)),
    install: pj.input(ToolchainInstallInput).mutation(({ ctx, input }) => ctx.api.toolchain.install(input)),
  }),
  hub: t.router({
    search: p.input(HubSearchRequest.prefault({})).query(({ ctx, input }) => ctx.api.hub.search(input)),
    model: p.input(HubRepoRequest).query(({ ctx, input }) => ctx.api.hub.model(input.repo, input.revision)),
    download: pj.input(DownloadModelInput).mutation(({ ctx, input }) => ctx.api.hub.download(input)),
    pull: pj.input(PullRequest).mutation(({ ctx, input }) => ctx.api.hub.pull(input)),
    catalog: p.query(({ ctx }) => ctx.api.hub.catalog()),
    tokenStatus: p.query(({ ctx }) => ctx.api.hub.tokenStatus()),
    setToken: p.input(HubTokenRequest).mutation(({ ctx, input }) => ctx.api.hub.setToken(input.token)),
    clearToken: p.mutation(({ ctx }) => ctx.api.hub.clearToken()),
  }),
});

export type AppRouter = typeof appRouter;
