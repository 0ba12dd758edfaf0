/**
 * Whether `text` (a reply constrained by a JSON schema's grammar) holds one whole JSON value, so generation can stop.
 * node-llama-cpp's JSON schema grammar lets the value be followed by "\n\n\n\n" and any number of newlines (its own
 * LlamaChat stops on those and trims them), so without this a reply pads newlines up to max_tokens.
 *
 * An object, array or string is whole once it parses (nothing can extend it); `true`, `false` and `null` too. A
 * number is whole only once whitespace follows it ("12" may become "123"). Only a closing character (or trailing
 * whitespace) triggers a parse, so a long reply is not re-parsed at every token.
 */
export function jsonValueComplete(text: string): boolean {
  const t = text.trimEnd();
  if (!t) return false;
  const first = t.trimStart()[0];
  const closer = first === '{' ? '}' : first === '[' ? ']' : first === '"' ? '"' : null;
  if (closer) {
    if (!t.endsWith(closer)) return false;
  } else if (t === text && !/(?:true|false|null)$/.test(t)) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}
