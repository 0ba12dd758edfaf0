import type { ChatHistoryItem, ChatWrapper, ChatWrapperGeneratedContextState, LlamaModel, Token } from 'node-llama-cpp';
import type { ChatRequest } from '../../../../shared/inference';
import { RequestError } from '../request-error';
import { endsWithFunctionResults, toHistory } from './chat-history';
import { planTools, type ToolPlan } from './tool-choice';

export interface ChatPrompt {
  /** The chat template: `chatTemplate`, else the model's own (what node-llama-cpp's LlamaChat resolves for 'auto'). */
  wrapper: ChatWrapper;
  history: ChatHistoryItem[];
  tools: ToolPlan;
  state: ChatWrapperGeneratedContextState;
  /** The prompt as the model reads it. */
  tokens: Token[];
}

/**
 * Renders a chat request's messages (and tools) with the chat template: the one prompt both a chat and
 * `applyTemplate` produce. A new model turn is opened, unless the history ends with function results (generation
 * then continues that model turn).
 */
export async function renderChatPrompt(model: LlamaModel, req: Pick<ChatRequest, 'messages' | 'chatTemplate' | 'tools' | 'toolChoice'>): Promise<ChatPrompt> {
  const { JinjaTemplateChatWrapper, resolveChatWrapper } = await import('node-llama-cpp');
  let wrapper: ChatWrapper;
  try {
    wrapper = req.chatTemplate ? new JinjaTemplateChatWrapper({ template: req.chatTemplate }) : resolveChatWrapper(model);
  } catch (err) {
    throw new RequestError(`chatTemplate: ${(err as Error).message}`);
  }
  const history = toHistory(req.messages);
  const tools = planTools(req);
  const chatHistory = endsWithFunctionResults(history) ? history : [...history, { type: 'model' as const, response: [] }];
  const state = wrapper.generateContextState({ chatHistory, availableFunctions: tools.functions });
  return { wrapper, history, tools, state, tokens: state.contextText.tokenize(model.tokenizer) };
}
