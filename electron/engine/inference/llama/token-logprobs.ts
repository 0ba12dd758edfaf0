import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from 'node-llama-cpp';

export interface NextTokenScore {
  /** log p(token | everything before), natural log. */
  logprob: number;
  /** The token is the most likely one (llama.cpp's greedy pick: the first highest logit). */
  greedy: boolean;
}

/**
 * Evaluates `tokens` after what the sequence holds and scores candidates for the token after each position:
 * `candidates[i]` are the tokens to score after `tokens[i]` (none: that position yields no logits, as in a
 * llama-perplexity pass). Per scored position llama.cpp returns the candidates' logits, the greedy token's logit
 * (the maximum) and Σexp(logit − max), so log p = logit − max − log Σ — the full distribution never crosses into
 * JavaScript.
 */
export async function scoreNextTokens(
  seq: LlamaContextSequence,
  tokens: readonly Token[],
  candidates: readonly (readonly Token[] | undefined)[],
): Promise<(Map<Token, NextTokenScore> | undefined)[]> {
  const input: ControlledEvaluateInputItem[] = tokens.map((token, i) => {
    const wanted = candidates[i];
    if (!wanted?.length) return token;
    // Sampling options left unset: temperature 0, a greedy sampler that picks the argmax without touching the logits.
    return [token, { generateNext: { token: true, logits: { filter: { tokens: wanted, includeSelected: true } }, totalLogitWeight: true } }];
  });
  const out = await seq.controlledEvaluate(input);
  return candidates.map((wanted, i) => {
    if (!wanted?.length) return undefined;
    const next = out[i]?.next;
    const top = next?.token == null ? undefined : next.logits?.get(next.token);
    if (!next?.logits || top === undefined || next.totalLogitWeight === undefined) throw new Error(`llama.cpp returned no logits for position ${i}`);
    const logZ = top + Math.log(next.totalLogitWeight);
    return new Map(wanted.map((t) => [t, { logprob: next.logits!.get(t)! - logZ, greedy: t === next.token }]));
  });
}
