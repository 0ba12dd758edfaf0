import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { splitMarkdownBlocks, stripFrontMatter } from '../../renderer/src/features/hub/markdownSplit';

// React and the views are loaded by name at run time: importing React's types here would add its global DOM stubs
// to this node-side project (breaking the e2e tests' types), and the views are .tsx (the renderer's JSX build).
// tsx compiles their JSX to React.createElement (the root tsconfig sets no JSX runtime), so React is made global.
const root = join(import.meta.dirname, '..', '..');
const load = async <T>(specifier: string): Promise<T> => (await import(specifier)) as T;
type Component<P> = (props: P) => unknown;
type ViewProps = { text: string; codeBlock?: (code: string, pre: unknown) => unknown };
let createElement: <P>(type: Component<P>, props: P) => unknown;
let renderToStaticMarkup: (element: unknown) => string;
let MarkdownView: Component<ViewProps>;
let Markdown: Component<{ text: string }>;
before(async () => {
  const React = await load<{ createElement: typeof createElement }>('react');
  (globalThis as { React?: unknown }).React = React;
  createElement = React.createElement;
  ({ renderToStaticMarkup } = await load<{ renderToStaticMarkup: typeof renderToStaticMarkup }>('react-dom/server'));
  const file = (path: string): string => pathToFileURL(join(root, path)).href;
  ({ MarkdownView } = await load<{ MarkdownView: typeof MarkdownView }>(file('renderer/src/features/hub/MarkdownView.tsx')));
  ({ Markdown } = await load<{ Markdown: typeof Markdown }>(file('renderer/src/features/chat/Markdown.tsx')));
});

const html = (text: string): string => renderToStaticMarkup(createElement(MarkdownView, { text }));

test('nested lists render as nested ul/ol', () => {
  const out = html('- one\n  - one.a\n  - one.b\n    1. deep\n- two\n');
  assert.match(out.replace(/\s+</g, '<'), /<ul><li>one<ul><li>one\.a<\/li><li>one\.b<ol><li>deep<\/li><\/ol><\/li><\/ul><\/li><li>two<\/li><\/ul>/);
});

test('a loose list (items apart by blank lines) stays one list', () => {
  const out = html('1. first\n\n2. second\n\n   more of second\n\nAfter.');
  assert.equal(out.match(/<ol/g)?.length, 1);
  assert.match(out, /more of second/);
  assert.match(out, /<p>After\.<\/p>/);
});

test('a GFM table renders as a table', () => {
  const out = html('| Model | Size |\n|:--|--:|\n| tiny | 1 MB |\n| **big** | 7 GB |');
  assert.match(out, /<table>/);
  assert.match(out, /<th[^>]*>Model<\/th>/);
  assert.match(out, /<td[^>]*>tiny<\/td>/);
  assert.match(out, /<td[^>]*><strong>big<\/strong><\/td>/);
});

test('a fenced code block keeps its text, blank lines included, and chat adds a copy button', () => {
  const text = 'Run:\n\n```ts\nconst a = 1;\n\n\nconst b = a < 2;\n```\n\nDone.';
  const out = html(text);
  assert.match(out, /<pre class="code-block"><code class="language-ts">const a = 1;\n\n\nconst b = a &lt; 2;\n<\/code><\/pre>/);
  assert.match(out, /<p>Done\.<\/p>/);
  const chat = renderToStaticMarkup(createElement(Markdown, { text }));
  assert.match(chat, /<div class="chat-code"><pre class="code-block">/);
  assert.match(chat, /data-testid="chat-code-copy"/);
  const seen: string[] = [];
  renderToStaticMarkup(createElement(MarkdownView, { text, codeBlock: (code: string, pre: unknown) => (seen.push(code), pre) }));
  assert.deepEqual(seen, ['const a = 1;\n\n\nconst b = a < 2;']);
});

test('web links open outside with rel=noopener noreferrer; other schemes are not links', () => {
  const out = html('See [the docs](https://huggingface.co/docs) or <https://example.com>, not [this](javascript:alert(1)).');
  assert.match(out, /<a href="https:\/\/huggingface\.co\/docs" target="_blank" rel="noopener noreferrer">the docs<\/a>/);
  assert.match(out, /<a href="https:\/\/example\.com" target="_blank" rel="noopener noreferrer">https:\/\/example\.com<\/a>/);
  assert.doesNotMatch(out, /javascript:/);
  assert.match(out, /<span>this<\/span>/);
});

test('raw HTML is escaped as text, never rendered', () => {
  const out = html('Hello <img src=x onerror="window.pwned=1"> there\n\n<script>window.pwned = 1</script>\n\n<div onclick="x()">block</div>');
  assert.doesNotMatch(out, /<img/);
  assert.doesNotMatch(out, /<script/);
  assert.doesNotMatch(out, /<div onclick/);
  assert.match(out, /&lt;img src=x onerror=&quot;window\.pwned=1&quot;&gt;/);
  assert.match(out, /&lt;script&gt;window\.pwned = 1&lt;\/script&gt;/);
});

test('model cards keep the text of layout HTML without its tags, still never rendering HTML', () => {
  const card = renderToStaticMarkup(
    createElement(MarkdownView, {
      text: '<div align="center">\n<img src="https://x/logo.png">\n<b>Tiny</b> model\n</div>\n\nHello <script>window.pwned = 1</script> <!-- hidden -->',
      stripHtml: true,
    }),
  );
  assert.doesNotMatch(card, /<(img|script|div align|b>)/);
  assert.doesNotMatch(card, /&lt;/, 'no literal tags');
  assert.match(card, /Tiny model/);
  assert.match(card, /window\.pwned = 1/, 'the text between tags stays, as text');
  assert.doesNotMatch(card, /hidden/);
});

test('images load only from data: URLs (the CSP); https images become links', () => {
  const out = html('![logo](https://example.com/a.png) ![dot](data:image/png;base64,iVBORw0KGgo=) ![svg](data:image/svg+xml;base64,PHN2Zz4=)');
  assert.match(out, /<a href="https:\/\/example\.com\/a\.png" target="_blank" rel="noopener noreferrer" class="muted">\[image: logo\]<\/a>/);
  assert.match(out, /<img src="data:image\/png;base64,iVBORw0KGgo=" alt="dot"/);
  assert.equal(out.match(/<img/g)?.length, 1);
  assert.match(out, /\[image: svg\]/);
});

test('headings sit under the pane headings', () => {
  assert.match(html('# Title\n\n###### Deep'), /<h4 class="card-heading">Title<\/h4><h6 class="card-heading">Deep<\/h6>/);
});

test('splitMarkdownBlocks: blank lines outside fences split top-level blocks', () => {
  assert.deepEqual(splitMarkdownBlocks('# A\n\npara\nline two\n\n\n```\nx\n\ny\n```\n\n- a\n\n- b\n\n  cont\n\nend'), [
    '# A',
    'para\nline two',
    '```\nx\n\ny\n```',
    '- a\n\n- b\n\n  cont',
    'end',
  ]);
  // While a reply streams, an open fence holds everything after it.
  assert.deepEqual(splitMarkdownBlocks('Hi\n\n```py\nprint(1)\n\n'), ['Hi', '```py\nprint(1)']);
  assert.deepEqual(splitMarkdownBlocks('   \n\n'), []);
  // Reference definitions apply to every block.
  const refs = splitMarkdownBlocks('See [x][1].\n\nAnd [x][1].\n\n[1]: https://example.com');
  assert.equal(refs.length, 3);
  assert.match(html('See [x][1].\n\nAnd [x][1].\n\n[1]: https://example.com'), /And <a href="https:\/\/example\.com"/);
});

test("stripFrontMatter drops a card's YAML header only", () => {
  assert.equal(stripFrontMatter('---\nlicense: mit\n---\n# Card'), '# Card');
  assert.equal(stripFrontMatter('# Card\n---\n'), '# Card\n---\n');
});
