import { Template } from '@huggingface/jinja';

export const EXAMPLE_CONVERSATION = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'What is the capital of France?' },
  { role: 'assistant', content: 'The capital of France is Paris.' },
  { role: 'user', content: 'And the capital of Italy?' },
] as const;

export interface ChatTemplateExample {
  chatTemplateExample: string | null;
  chatTemplateError: string | null;
  /** Set when the template renders only without the system message (e.g. Gemma raises on a system role). */
  systemMessageError?: string;
}

/** Renders `template` over a short example conversation; errors are returned, never thrown. */
export function renderChatTemplateExample(template: string | null, tokens: { bos?: string; eos?: string } = {}): ChatTemplateExample {
  if (!template) return { chatTemplateExample: null, chatTemplateError: null };
  let parsed: Template;
  try {
    parsed = new Template(template);
  } catch (err) {
    return { chatTemplateExample: null, chatTemplateError: `the chat template does not parse: ${message(err)}` };
  }
  const render = (messages: readonly { role: string; content: string }[]) =>
    parsed.render({
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: true,
      bos_token: tokens.bos ?? '',
      eos_token: tokens.eos ?? '',
    });
  try {
    return { chatTemplateExample: render(EXAMPLE_CONVERSATION), chatTemplateError: null };
  } catch (err) {
    try {
      return { chatTemplateExample: render(EXAMPLE_CONVERSATION.slice(1)), chatTemplateError: null, systemMessageError: message(err) };
    } catch {
      return { chatTemplateExample: null, chatTemplateError: `the chat template fails to render: ${message(err)}` };
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
