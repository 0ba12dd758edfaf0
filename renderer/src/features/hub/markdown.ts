/**
 * A deliberately small Markdown reader for model cards: headings, paragraphs, lists, quotes, code
 * blocks and tables become blocks of plain text with inline spans. HTML is never interpreted: tags are
 * dropped and their text kept, so nothing in a card can inject markup or load a resource.
 */

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; text: string }
  | { type: 'em'; text: string }
  | { type: 'link'; text: string; href: string | null }
  | { type: 'image'; alt: string };

export type Block =
  | { type: 'heading'; level: number; inline: Inline[] }
  | { type: 'paragraph'; inline: Inline[] }
  | { type: 'list'; ordered: boolean; items: Inline[][] }
  | { type: 'quote'; inline: Inline[] }
  | { type: 'code'; text: string }
  | { type: 'table'; rows: string[][] }
  | { type: 'rule' };

/** Drops YAML front matter (`---` … `---`), which the card's metadata already covers. */
export function stripFrontMatter(markdown: string): string {
  return markdown.replace(/^\uFEFF?---\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/, '');
}

function stripHtml(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\/?[a-zA-Z][^>]*>/g, '');
}

/** Only web links are kept as links; anything else (javascript:, data:, relative paths) stays text. */
function safeHref(href: string): string | null {
  return /^https?:\/\//i.test(href.trim()) ? href.trim() : null;
}

const INLINE = /(`[^`]+`)|!\[([^\]]*)\]\(([^)\s]*)[^)]*\)|\[([^\]]+)\]\(([^)\s]*)[^)]*\)|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_/g;

export function parseInline(source: string): Inline[] {
  const text = stripHtml(source);
  const out: Inline[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ type: 'text', text: text.slice(last, at) });
    if (m[1]) out.push({ type: 'code', text: m[1].slice(1, -1) });
    else if (m[3] !== undefined && m[0].startsWith('!')) out.push({ type: 'image', alt: m[2] ?? '' });
    else if (m[4] !== undefined) out.push({ type: 'link', text: m[4], href: safeHref(m[5] ?? '') });
    else if (m[6] ?? m[7]) out.push({ type: 'strong', text: (m[6] ?? m[7])! });
    else out.push({ type: 'em', text: (m[8] ?? m[9]) ?? '' });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ type: 'text', text: text.slice(last) });
  return out;
}

const isTableRow = (line: string): boolean => /^\s*\|.*\|\s*$/.test(line);
const tableCells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => stripHtml(c).trim());

export function parseMarkdown(markdown: string): Block[] {
  const lines = stripFrontMatter(markdown).replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!);
      i++;
      blocks.push({ type: 'code', text: body.join('\n') });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      blocks.push({ type: 'heading', level: heading[1]!.length, inline: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push({ type: 'rule' });
      i++;
      continue;
    }
    if (isTableRow(line)) {
      const rows: string[][] = [];
      while (i < lines.length && isTableRow(lines[i]!)) {
        const cells = tableCells(lines[i++]!);
        if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.push(cells);
      }
      blocks.push({ type: 'table', rows });
      continue;
    }
    const bullet = /^\s*(?:[-*+]|\d+[.)])\s+/;
    if (bullet.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items: Inline[][] = [];
      while (i < lines.length && bullet.test(lines[i]!)) items.push(parseInline(lines[i++]!.replace(bullet, '')));
      blocks.push({ type: 'list', ordered, items });
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i]!)) body.push(lines[i++]!.replace(/^\s*>\s?/, ''));
      blocks.push({ type: 'quote', inline: parseInline(body.join(' ')) });
      continue;
    }
    const body: string[] = [];
    while (i < lines.length && lines[i]!.trim() && !/^(#{1,6}\s|\s*(```|~~~)|\s*>|\s*(?:[-*+]|\d+[.)])\s+)/.test(lines[i]!) && !isTableRow(lines[i]!)) {
      body.push(lines[i++]!.trim());
    }
    const inline = parseInline(body.join(' '));
    if (inline.some((s) => s.type !== 'text' || s.text.trim())) blocks.push({ type: 'paragraph', inline });
  }
  return blocks;
}
