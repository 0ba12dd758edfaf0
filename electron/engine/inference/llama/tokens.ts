import type { LlamaModel, Token } from 'node-llama-cpp';

/**
 * Text as the model reads it, with BOS first when the model wants one (llama.cpp's add_special) unless the text
 * already starts with it (a prompt rendered by a chat template often does). `specialTokens`: special-token text
 * (`<start_of_turn>`) becomes those tokens.
 */
export function encodeText(model: LlamaModel, text: string, specialTokens: boolean): Token[] {
  const tokens = model.tokenize(text, specialTokens);
  const bos = model.tokens.bos;
  if (bos === null || !model.tokens.shouldPrependBosToken || tokens[0] === bos) return tokens;
  return [bos, ...tokens];
}
