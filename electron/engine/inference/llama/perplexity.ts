import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { PerplexityChunk, PerplexityProgress, PerplexityRequest, PerplexityResult } from '../../../../shared/inference';
import { RequestError } from '../request-error';
import { scoreNextTokens } from './token-logprobs';
import { encodeText } from './tokens';

export interface ChunkPlan {
  chunks: number;
  /** Position in a chunk whose logits score the first token: llama-perplexity's `first = n_ctx/2`. */
  first: number;
  /** Tokens scored per chunk: positions first+1 … n_ctx−1. */
  scoredPerChunk: number;
}

/** llama-perplexity's default method (perplexity.cpp, `perplexity()`, without --ppl-stride): whole chunks of n_ctx tokens. */
export function planChunks(textTokens: number, contextSize: number, maxChunks: number | undefined): ChunkPlan {
  const all = Math.floor(textTokens / contextSize);
  const first = Math.floor(contextSize / 2);
  return { chunks: Math.min(all, maxChunks ?? all), first, scoredPerChunk: contextSize - 1 - first };
}

/** Tokens past the cut of a prefix, and more, are the whole text's (tokenizers merge within words, not across lines). */
const CUT_MARGIN = 64;

/**
 * The text's tokens (with BOS), or with `need` just its first `need`: a prefix ending at a line break is tokenized,
 * longer until it yields CUT_MARGIN tokens more than needed, so a few chunks of a long text (WikiText-2's test split
 * takes over a second to tokenize) cost only what they read.
 */
function leadingTokens(model: LlamaModel, text: string, need: number | undefined): Token[] {
  for (let chars = (need ?? 0) * 8; need !== undefined && chars < text.length; chars *= 2) {
    const lineEnd = text.indexOf('\n', chars);
    const cut = lineEnd >= 0 ? lineEnd : text.indexOf(' ', chars);
    if (cut < 0) break;
    const tokens = encodeText(model, text.slice(0, cut + 1), false);
    if (tokens.length >= need + CUT_MARGIN) return tokens.slice(0, need);
  }
  return encodeText(model, text, false);
}

/**
 * Perplexity as llama-perplexity computes it by default, so the numbers compare: the text is tokenized with BOS
 * (special-token text stays text), cut into chunks of `contextSize`; each chunk is evaluated from an empty cache
 * with its first token replaced by BOS, and the tokens of its second half are scored. The ± is the same standard
 * error of the mean NLL, scaled by the perplexity.
 */
export async function perplexity(
  model: LlamaModel,
  seq: LlamaContextSequence,
  sequenceSize: number,
  req: PerplexityRequest,
  emit: (p: PerplexityProgress) => void,
  signal: AbortSignal,
): Promise<PerplexityResult> {
  const started = performance.now();
  const nCtx = req.contextSize ?? sequenceSize;
  if (nCtx > sequenceSize)
    throw new RequestError(`contextSize: ${nCtx} is more than the model was loaded with (${sequenceSize} per sequence); load it with a larger contextSize`);
  const tokens = leadingTokens(model, req.text, req.chunks === undefined ? undefined : req.chunks * nCtx);
  const plan = planChunks(tokens.length, nCtx, req.chunks);
  if (plan.chunks === 0) throw new RequestError(`text: ${tokens.length} tokens, fewer than one chunk of ${nCtx}`);
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  const chunks: PerplexityChunk[] = [];
  let nll = 0;
  let nll2 = 0;
  let count = 0;
  for (let c = 0; c < plan.chunks; c++) {
    if (signal.aborted) throw new RequestError('The request was cancelled: the client went away', 499);
    const start = c * nCtx;
    const chunk = tokens.slice(start, start + nCtx);
    if (bos !== null) chunk[0] = bos;
    const target = (i: number): Token => tokens[start + i + 1]!;
    const scoredAt = (i: number): boolean => i >= plan.first && i < nCtx - 1;
    await seq.clearHistory();
    const scores = await scoreNextTokens(
      seq,
      chunk,
      chunk.map((_, i) => (scoredAt(i) ? [target(i)] : undefined)),
    );
    let chunkNll = 0;
    for (let i = plan.first; i < nCtx - 1; i++) {
      const lp = scores[i]!.get(target(i))!.logprob;
      chunkNll -= lp;
      nll2 += lp * lp;
    }
    nll += chunkNll;
    count += plan.scoredPerChunk;
    const meanNll = chunkNll / plan.scoredPerChunk;
    chunks.push({ meanNll, ppl: Math.exp(meanNll), runningPpl: Math.exp(nll / count) });
    emit({ chunk: c + 1, chunks: plan.chunks, runningPpl: Math.exp(nll / count) });
  }
  const meanNll = nll / count;
  const ppl = Math.exp(meanNll);
  const variance = nll2 / count - meanNll * meanNll;
  const totalMs = performance.now() - started;
  return {
    ppl,
    stderr: variance > 0 && count > 1 ? Math.sqrt(variance / (count - 1)) * ppl : 0,
    meanNll,
    tokens: count,
    textTokens: tokens.length,
    contextSize: nCtx,
    chunks,
    totalMs: Math.round(totalMs * 10) / 10,
    tokensPerSec: (plan.chunks * nCtx) / (totalMs / 1000),
  };
}
