import { Environment, Interpreter, Template } from '@huggingface/jinja';

/**
 * What rendering one example may cost. @huggingface/jinja has no limits of its own, and a template is untrusted
 * input: `range(1e9)` makes a billion-item array, nested loops run for ever, `s + s` doubles a string each pass.
 * A real chat template renders the example in a few thousand steps and a few KB.
 */
export interface TemplateBudget {
  /** Interpreter steps: nodes evaluated and blocks run (one per loop iteration). */
  maxSteps: number;
  /** Wall-clock time, checked every 1024 steps. */
  maxMs: number;
  /** Longest string any expression, and the output, may reach. */
  maxChars: number;
  /** Most items a list (range() included) may hold. */
  maxItems: number;
}

export const TEMPLATE_BUDGET: TemplateBudget = { maxSteps: 1_000_000, maxMs: 2_000, maxChars: 1_000_000, maxItems: 100_000 };

/** The template went over its budget: a template that does this is broken or hostile, and trying again will not help. */
export class TemplateBudgetError extends Error {
  override name = 'TemplateBudgetError';
}

/** jinja's range(), refusing to build more than `maxItems` items. */
function boundedRange(maxItems: number) {
  return (...args: unknown[]): number[] => {
    const [start, stop, step = 1] = args;
    let from = start;
    let to = stop;
    if (to === undefined) {
      to = from;
      from = 0;
    }
    if (
      typeof from !== 'number' ||
      typeof to !== 'number' ||
      typeof step !== 'number' ||
      !Number.isFinite(from) ||
      !Number.isFinite(to) ||
      !Number.isFinite(step)
    ) {
      throw new Error('range() takes numbers');
    }
    if (step === 0) throw new Error('range() step must not be zero');
    const count = Math.max(0, Math.ceil((to - from) / step));
    if (count > maxItems) throw new TemplateBudgetError(`range(${args.join(', ')}) would make ${count} items; a chat template may make at most ${maxItems}`);
    return Array.from({ length: count }, (_, i) => from + i * step);
  };
}

type Evaluate = (this: Interpreter, node: unknown, environment: unknown) => { value?: unknown };

/**
 * Renders with every interpreter step counted, timed and size-checked. A step is a node evaluated or a block run
 * (once per loop iteration, even an empty one). Rendering is synchronous, so the interpreter's methods are wrapped
 * for exactly the duration of this call.
 */
export function renderWithBudget(template: Template, items: Record<string, unknown>, budget: TemplateBudget = TEMPLATE_BUDGET): string {
  const proto = Interpreter.prototype as unknown as { evaluate: Evaluate; evaluateBlock: Evaluate };
  const originals = { evaluate: proto.evaluate, evaluateBlock: proto.evaluateBlock };
  const deadline = Date.now() + budget.maxMs;
  // Template.render declares the global range() itself (and refuses a redeclaration): swap in the bounded one on its first step.
  const range = new Environment().set('range', boundedRange(budget.maxItems));
  let steps = 0;
  const counted = (original: Evaluate): Evaluate =>
    function (node, environment) {
      if (steps === 0) this.global.variables.set('range', range);
      steps++;
      if (steps > budget.maxSteps) throw new TemplateBudgetError(`rendering took more than ${budget.maxSteps} steps`);
      if ((steps & 1023) === 0 && Date.now() > deadline) throw new TemplateBudgetError(`rendering took longer than ${budget.maxMs / 1000} s`);
      const out = original.call(this, node, environment);
      const v = out?.value;
      if (typeof v === 'string' && v.length > budget.maxChars)
        throw new TemplateBudgetError(`a string reached ${v.length} characters; the limit is ${budget.maxChars}`);
      if (Array.isArray(v) && v.length > budget.maxItems) throw new TemplateBudgetError(`a list reached ${v.length} items; the limit is ${budget.maxItems}`);
      return out;
    };
  proto.evaluate = counted(originals.evaluate);
  proto.evaluateBlock = counted(originals.evaluateBlock);
  try {
    return template.render(items);
  } finally {
    proto.evaluate = originals.evaluate;
    proto.evaluateBlock = originals.evaluateBlock;
  }
}

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
    renderWithBudget(parsed, {
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: true,
      bos_token: tokens.bos ?? '',
      eos_token: tokens.eos ?? '',
    });
  try {
    return { chatTemplateExample: render(EXAMPLE_CONVERSATION), chatTemplateError: null };
  } catch (err) {
    if (err instanceof TemplateBudgetError)
      return { chatTemplateExample: null, chatTemplateError: `the chat template goes over the render budget: ${err.message}` };
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
