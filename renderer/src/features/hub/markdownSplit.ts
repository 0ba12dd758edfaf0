/**
 * Splits Markdown into top-level blocks so a view can render each one on its own (and, while a reply streams,
 * re-render only the block that is still growing). Blocks break at a blank line followed by a line that starts
 * at column 0, outside code fences; indented lines (list continuations, indented code) stay with the block above,
 * and consecutive list items stay one list.
 */

/** Drops YAML front matter (`---` … `---`), which a model card's metadata already covers. */
export function stripFrontMatter(markdown: string): string {
  return markdown.replace(/^\uFEFF?---\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/, '');
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;
const DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]*\S/;

export function splitMarkdownBlocks(markdown: string): string[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const blocks: string[][] = [];
  const definitions: string[] = [];
  let current: string[] = [];
  let fence: string | null = null;
  let blank = false;
  const flush = (): void => {
    while (current.length > 0 && !current[current.length - 1]!.trim()) current.pop();
    if (current.length > 0) blocks.push(current);
    current = [];
  };
  for (const line of lines) {
    if (fence) {
      current.push(line);
      const close = FENCE.exec(line);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length && !line.slice(close[0].length).trim()) fence = null;
      continue;
    }
    if (!line.trim()) {
      if (current.length > 0) current.push(line);
      blank = true;
      continue;
    }
    const startsBlock = blank && !/^[ \t]/.test(line) && !(LIST_ITEM.test(line) && LIST_ITEM.test(current[0] ?? ''));
    if (startsBlock) flush();
    blank = false;
    const open = FENCE.exec(line);
    if (open) fence = open[1]!;
    // Link reference definitions apply to the whole document: every block gets them (they render nothing).
    if (DEFINITION.test(line)) definitions.push(line);
    current.push(line);
  }
  flush();
  const texts = blocks.map((b) => b.join('\n'));
  if (definitions.length === 0) return texts;
  const tail = `\n\n${definitions.join('\n')}`;
  return texts.map((t) => (DEFINITION.test(t) ? t : t + tail));
}
