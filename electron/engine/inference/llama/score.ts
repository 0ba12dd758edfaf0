import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { ContinuationScore, ScoreRequest, ScoreResult } from '../../../../shared/inference';
import { RequestError } from '../request-error';
import { reusePrefix, type TakeSequence } from './generate';
import { scoreNextTokens } from './token-logprobs';
import { encodeText } from './tokens';

/**
 * lm-evaluation-harness's split of a (context, continuation) pair (TemplateLM._encode_pair): whitespace ending the
 * context moves to the continuation; the two are encoded together and the continuation is what follows the
 * context's own encoding. An empty context is BOS alone (EOS for a model without BOS), as lm-eval's prefix token.
 */
export function encodePair(model: LlamaModel, context: string, continuation: string): { context: Token[]; continuation: Token[] } {
  if (context === '') {
    const prefix = model.tokens.bos ?? model.tokens.eos;
    if (prefix === null) throw new RequestError('context: empty, and the model has neither BOS nor EOS to start from');
    return { context: [prefix], continuation: model.tokenize(continuation, true) };
  }
  const trimmed = context.trimEnd();
  const moved = context.slice(trimmed.length);
  const ctx = encodeText(model, trimmed, true);
  const whole = encodeText(model, trimmed + moved + continuation, true);
  return { context: ctx, continuation: whole.slice(ctx.length) };
}

/**
 * Log-likelihood of each continuation after the context, sharing the context's KV cache: the context is evaluated
 * once (after whatever prefix of it the sequence already holds, so requests with the same few-shot prefix reuse it),
 * yielding the first token's distribution for every continuation; each continuation then runs from that state and
 * is erased back to it. A context too long for the window loses tokens from its start, as lm-eval truncates.
 */
export async function score(model: LlamaModel, take: TakeSequence, sequenceSize: number, req: ScoreRequest, signal: AbortSignal): Promise<ScoreResult> {
  const started = performance.now();
  const pairs = req.continuations.map((c) => encodePair(model, req.context, c));
  let context = pairs[0]!.context;
  const longest = Math.max(...pairs.map((p) => p.continuation.length));
  // The last continuation token is predicted, never evaluated.
  const truncatedTokens = Math.max(0, context.length + longest - 1 - sequenceSize);
  if (truncatedTokens >= context.length)
    throw new RequestError(`continuations: one is ${longest} tokens, too long for the model's context of ${sequenceSize} tokens`);
  context = context.slice(truncatedTokens);

  const seq = take(context);
  const cached = await reusePrefix(seq, context);
  const firstTokens = [...new Set(pairs.map((p) => p.continuation[0]).filter((t) => t !== undefined))];
  const rest = context.slice(cached);
  const [atContextEnd] = (
    await scoreNextTokens(
      seq,
      rest,
      rest.map((_, i) => (i === rest.length - 1 ? firstTokens : undefined)),
    )
  ).slice(-1);
  // A sliding-window or recurrent model cannot erase a continuation without a checkpoint to come back to.
  if (seq.needsCheckpoints) await seq.takeCheckpoint();
  let evaluated = rest.length;

  const continuations: ContinuationScore[] = [];
  for (const { continuation } of pairs) {
    if (signal.aborted) throw new RequestError('The request was cancelled: the client went away', 499);
    if (continuation.length === 0) {
      continuations.push({ logprob: 0, tokens: 0, isGreedy: true });
      continue;
    }
    const first = atContextEnd!.get(continuation[0]!)!;
    let logprob = first.logprob;
    let isGreedy = first.greedy;
    if (continuation.length > 1) {
      const body = continuation.slice(0, -1);
      const scores = await scoreNextTokens(
        seq,
        body,
        body.map((_, i) => [continuation[i + 1]!]),
      );
      scores.forEach((s, i) => {
        const t = s!.get(continuation[i + 1]!)!;
        logprob += t.logprob;
        isGreedy &&= t.greedy;
      });
      evaluated += body.length;
      await backToContext(seq, context);
    }
    continuations.push({ logprob, tokens: continuation.length, isGreedy });
  }
  return {
    contextTokens: context.length,
    truncatedTokens,
    cachedTokens: cached,
    evaluatedTokens: evaluated,
    continuations,
    totalMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

/** Erases a continuation; should the sequence lose part of the context with it, that part is evaluated again. */
async function backToContext(seq: LlamaContextSequence, context: Token[]): Promise<void> {
  await seq.eraseContextTokenRanges([{ start: context.length, end: seq.nextTokenIndex }]);
  if (seq.nextTokenIndex < context.length) {
    await seq.adaptStateToTokens(context, false);
    await seq.evaluateWithoutGeneratingNewTokens(context.slice(seq.nextTokenIndex));
  }
}
