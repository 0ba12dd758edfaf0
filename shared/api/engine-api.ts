import type { AppInfo } from '../app-info';
import type { ArtifactLineage, ArtifactRecord, ArtifactsPage, ArtifactsPageRequest, ListArtifactsRequest } from '../artifacts';
import type { SystemReport } from '../hardware';
import type { CatalogEntry, DownloadModelInput, HubModelDetails, HubModelSummary, HubSearchRequest, HubTokenStatus, PullRequest } from '../hub';
import type { JobEvent, JobLogTail, JobMetric, JobMetricsRequest, JobRecord, JobRowsPage, JobRowsRequest, ListJobsRequest, StartJobRequest } from '../jobs';
import type { ToolchainInstallInput, ToolchainStatus } from '../toolchain';
import type {
  AddMessageRequest,
  Conversation,
  ConversationMessage,
  ConversationWithMessages,
  CreateConversationRequest,
  ExportConversationRequest,
  ExportResult,
  ReplyEvent,
  ReplyRequest,
  UpdateConversationRequest,
} from '../chat';
import type {
  ApplyTemplateRequest,
  ApplyTemplateResult,
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  GenerationEvent,
  GenerationResult,
  InferenceCapability,
  LoadedModel,
  LoadModelRequest,
  OpenAiSettings,
  PerplexityProgress,
  PerplexityRequest,
  PerplexityResult,
  ScoreRequest,
  ScoreResult,
  ServerInfo,
  UpdateOpenAiSettings,
} from '../inference';
import type {
  ConvertModelInput,
  HfCacheEntry,
  ImportModelInput,
  LibraryModel,
  ListModelsRequest,
  MemoryFit,
  MemoryFitRequest,
  RemoveModelRequest,
  RemoveModelResult,
  TrustModelCodeRequest,
  UpdateModelRequest,
} from '../models';

/**
 * What the engine offers every client. The tRPC router in ./router.ts validates requests and then
 * calls this; the engine implements it; the renderer and CLI only ever see it through a transport.
 */
export interface EngineApi {
  app: {
    info(): AppInfo;
  };
  jobs: {
    list(req: ListJobsRequest): JobRecord[];
    get(id: string): JobRecord;
    start(req: StartJobRequest): JobRecord;
    cancel(id: string): Promise<JobRecord>;
    retry(id: string): JobRecord;
    /** Resumable kinds only (downloads): stop, keeping partial data. */
    pause(id: string): Promise<JobRecord>;
    /** Continue a paused, interrupted or failed resumable job under the same id. */
    resume(id: string): JobRecord;
    log(id: string, tailLines: number): Promise<JobLogTail>;
    /** The job's metric points (loss curves, throughput…) in the order they were reported; live ones arrive as `metrics` events. */
    metrics(req: JobMetricsRequest): JobMetric[];
    /** A page of the job's typed records of one kind; present only once the job succeeded. */
    rows(req: JobRowsRequest): JobRowsPage;
    /** Every job change and log line, until the signal aborts. */
    events(signal: AbortSignal | undefined): AsyncIterable<JobEvent>;
  };
  hardware: {
    latestReport(): { report: SystemReport; jobId: string } | null;
  };
  artifacts: {
    list(req: ListArtifactsRequest): ArtifactRecord[];
    /** Keyset-paged list, newest first: pass nextCursor back as cursor for the next page. */
    page(req: ArtifactsPageRequest): ArtifactsPage;
    /** The artifact (depth 0) and its ancestors with the job (kind, input) that made each step. */
    lineage(id: string): ArtifactLineage;
  };
  models: {
    list(req: ListModelsRequest): LibraryModel[];
    get(id: string): LibraryModel;
    /** Starts a `model.import` job (validation and hashing happen out of process). */
    import(input: ImportModelInput): JobRecord;
    /** Starts a `model.inspect` job for a path that need not be in the library. */
    inspectPath(path: string, hash: boolean): JobRecord;
    update(req: UpdateModelRequest): LibraryModel;
    remove(req: RemoveModelRequest): Promise<RemoveModelResult>;
    memoryFit(req: MemoryFitRequest): Promise<MemoryFit>;
    /** Shows the model's file in the OS file manager of the machine the engine runs on. */
    reveal(id: string): Promise<void>;
    /** Models in the user's Hugging Face cache, with their library id when already imported. */
    hfCache(): Promise<HfCacheEntry[]>;
    /** Starts a `model.convert` job (Hugging Face checkpoint -> GGUF, in the Python toolchain). */
    convert(input: ConvertModelInput): JobRecord;
    /** Allows (hashing every code file as it is now) or revokes running the model's own code in jobs. */
    trustCode(req: TrustModelCodeRequest): Promise<LibraryModel>;
  };
  inference: {
    /** Models loaded now, each in its own worker process. */
    list(): LoadedModel[];
    load(req: LoadModelRequest): Promise<LoadedModel>;
    unload(modelId: string): Promise<void>;
    /** Loads the model on demand (default options) and generates; `onEvent` gets the streamed text. */
    chat(req: ChatRequest, onEvent?: (e: GenerationEvent) => void, signal?: AbortSignal): Promise<GenerationResult>;
    complete(req: CompletionRequest, onEvent?: (e: GenerationEvent) => void, signal?: AbortSignal): Promise<GenerationResult>;
    embed(req: EmbeddingRequest, signal?: AbortSignal): Promise<{ vectors: number[][]; tokens: number }>;
    countTokens(modelId: string, text: string): Promise<number>;
    /** What the model's inference backend can do (UnsupportedCapabilityError refuses the rest). */
    capabilities(modelId: string): InferenceCapability[];
    /** Log-likelihood of each continuation after the context (lm-evaluation-harness's loglikelihood). */
    score(req: ScoreRequest, signal?: AbortSignal): Promise<ScoreResult>;
    /** Perplexity over a text, as llama.cpp's llama-perplexity computes it; `onProgress` after each chunk. */
    perplexity(req: PerplexityRequest, onProgress?: (p: PerplexityProgress) => void, signal?: AbortSignal): Promise<PerplexityResult>;
    /** The prompt a chat with these messages sends the model (its chat template applied). */
    applyTemplate(req: ApplyTemplateRequest): Promise<ApplyTemplateResult>;
    /** The loaded-model list on every change, until the signal aborts. */
    events(signal: AbortSignal | undefined): AsyncIterable<LoadedModel[]>;
    /** The /v1 API's switch, key and CORS origins (stored in the data dir's settings). */
    openAiSettings(): OpenAiSettings;
    updateOpenAiSettings(patch: UpdateOpenAiSettings): OpenAiSettings;
    /** Whether an `Authorization` header carries the /v1 key (true when none is set); not exposed over tRPC. */
    checkApiKey(authorization: string | undefined): Promise<boolean>;
    serverInfo(): ServerInfo;
    /** Starts or stops the OpenAI-compatible API (the Electron app starts its own HTTP server on 127.0.0.1). */
    setServerRunning(running: boolean): Promise<ServerInfo>;
  };
  conversations: {
    list(): Conversation[];
    get(id: string): ConversationWithMessages;
    create(req: CreateConversationRequest): Conversation;
    update(req: UpdateConversationRequest): Conversation;
    remove(id: string): void;
    /** Appends a message (a new branch when its parent already has children) and makes it the active leaf. */
    addMessage(req: AddMessageRequest): ConversationMessage;
    /** Generates a turn's replies and saves them as they stream (see ReplyRequest); the signal aborting marks them interrupted. */
    reply(req: ReplyRequest, onEvent: (e: ReplyEvent) => void, signal?: AbortSignal): Promise<void>;
    /** Stops the turn being generated in the conversation; resolves once its replies are saved. false: none was running. */
    stopReply(conversationId: string): Promise<boolean>;
    /** The active path as `{"messages":[...]}` JSONL rows appended to <data>/datasets/<dataset>.jsonl, registered as a dataset artifact. */
    export(req: ExportConversationRequest): Promise<ExportResult>;
  };
  toolchain: {
    /** What is installed and working; `deep` also imports every Python package (slow). */
    status(deep: boolean): Promise<ToolchainStatus>;
    /** Starts a `toolchain.install` job (install, or repair, a component). */
    install(input: ToolchainInstallInput): JobRecord;
  };
  hub: {
    search(req: HubSearchRequest): Promise<HubModelSummary[]>;
    model(repo: string, revision: string): Promise<HubModelDetails>;
    /** Starts a `model.download` job for the files of one model. */
    download(input: DownloadModelInput): JobRecord;
    /** `hf:owner/name[@rev][/file][:QUANT]`: picks the files (a named quant, else Q4_K_M, else the first model) and starts a download. */
    pull(req: PullRequest): Promise<JobRecord>;
    catalog(): CatalogEntry[];
    tokenStatus(): Promise<HubTokenStatus>;
    setToken(token: string): Promise<HubTokenStatus>;
    clearToken(): Promise<HubTokenStatus>;
  };
}
