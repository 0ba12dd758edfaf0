import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from 'node-llama-cpp';
import type { ChatMessage } from '../../../../shared/inference';
import { RequestError } from '../request-error';

/** A tool message's content as the function's result: JSON when it parses, else the text itself. */
function resultValue(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    return content;
  }
}

/**
 * Our messages as node-llama-cpp's chat history. An assistant message's tool calls become function-call items of its
 * model response, each holding the result from the tool message that answers it (by id, else the oldest unanswered
 * call), so the chat wrapper renders calls and results in the model's own syntax. A call nobody answered is refused,
 * as OpenAI refuses it: the model would otherwise see a call with no result.
 */
export function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const out: ChatHistoryItem[] = [];
  let open: { call: ChatModelFunctionCall; id?: string; where: string; answered: boolean }[] = [];
  messages.forEach((m, i) => {
    if (m.role === 'tool') {
      const pending = open.filter((c) => !c.answered);
      const target = m.toolCallId !== undefined ? pending.find((c) => c.id === m.toolCallId) : pending[0];
      if (!target) {
        if (m.toolCallId !== undefined && open.some((c) => c.id === m.toolCallId))
          throw new RequestError(`messages[${i}]: tool call "${m.toolCallId}" already has a result`);
        if (m.toolCallId !== undefined) throw new RequestError(`messages[${i}].toolCallId: no earlier assistant message made a call with id "${m.toolCallId}"`);
        out.push({ type: 'user', text: `Tool result:\n${m.content}` });
        return;
      }
      target.call.result = resultValue(m.content);
      target.answered = true;
      return;
    }
    const unanswered = open.find((c) => !c.answered);
    if (unanswered) throw new RequestError(`${unanswered.where} has no tool message with its result before messages[${i}]`);
    open = [];
    if (m.role === 'system') out.push({ type: 'system', text: m.content });
    else if (m.role === 'user') out.push({ type: 'user', text: m.content });
    else {
      const response: ChatModelResponse['response'] = m.content ? [m.content] : [];
      (m.toolCalls ?? []).forEach((c, j) => {
        const call: ChatModelFunctionCall = { type: 'functionCall', name: c.name, params: c.arguments, result: undefined, startsNewChunk: j === 0 };
        response.push(call);
        open.push({ call, id: c.id, where: `messages[${i}]: tool call ${j} ("${c.name}")`, answered: false });
      });
      out.push({ type: 'model', response });
    }
  });
  const unanswered = open.find((c) => !c.answered);
  if (unanswered) throw new RequestError(`${unanswered.where} has no tool message with its result`);
  return out;
}

/** Whether the history ends inside a model turn that called functions: generation continues that turn after the results. */
export function endsWithFunctionResults(history: readonly ChatHistoryItem[]): boolean {
  const last = history.at(-1);
  return last?.type === 'model' && last.response.some((r) => typeof r !== 'string' && r.type === 'functionCall');
}
