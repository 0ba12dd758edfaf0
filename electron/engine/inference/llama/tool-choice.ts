import type { ChatModelFunctions, ChatWrapper } from 'node-llama-cpp';
import type { ChatRequest } from '../../../../shared/inference';
import { RequestError } from '../request-error';

export interface ToolPlan {
  /** The functions offered to the model; undefined: none (no tools, or toolChoice none). */
  functions: ChatModelFunctions | undefined;
  /** The reply must start with a call (toolChoice required, or a named function). */
  force: boolean;
}

export function planTools(req: Pick<ChatRequest, 'tools' | 'toolChoice'>): ToolPlan {
  const tools = req.tools ?? [];
  const choice = req.toolChoice ?? 'auto';
  if (choice === 'none' || (choice === 'auto' && tools.length === 0)) return { functions: undefined, force: false };
  if (tools.length === 0) throw new RequestError('toolChoice: a tool is required but no tools were given');
  let offered = tools;
  if (typeof choice === 'object') {
    offered = tools.filter((t) => t.name === choice.name);
    if (offered.length === 0) throw new RequestError(`toolChoice.name: no tool named "${choice.name}" (tools: ${tools.map((t) => t.name).join(', ')})`);
  }
  const functions = Object.fromEntries(offered.map((t) => [t.name, { description: t.description, params: t.parameters as never }])) as ChatModelFunctions;
  return { functions, force: choice !== 'auto' };
}

/**
 * The chat wrapper with its reply forced into the model's function-call syntax: the call prefix (and, for templates
 * with parallel calls, the section prefix) is put into the context at once, so the next tokens are a function name and
 * then parameters, both constrained by node-llama-cpp's grammar. Everything else is the model's own wrapper.
 */
export async function forcingFunctionCall(inner: ChatWrapper): Promise<ChatWrapper> {
  const { LlamaText } = await import('node-llama-cpp');
  const call = inner.settings.functions.call;
  const section = inner.settings.functions.parallelism?.call.sectionPrefix ?? '';
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'generateContextState') return Reflect.get(target, prop, receiver) as unknown;
      return (options: Parameters<ChatWrapper['generateContextState']>[0]) => {
        const state = target.generateContextState(options);
        return {
          ...state,
          prefixTriggers: undefined,
          noPrefixTrigger: { type: 'functionCall' as const, inject: LlamaText([section, call.prefix]) },
          detectFunctionCalls: true,
        };
      };
    },
  });
}
