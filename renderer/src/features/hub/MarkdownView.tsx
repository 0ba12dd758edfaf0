import { createElement, memo, useMemo, type ComponentPropsWithoutRef, type ReactNode } from 'react';
import ReactMarkdown, { defaultUrlTransform, type Components, type ExtraProps, type UrlTransform } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { splitMarkdownBlocks } from './markdownSplit';

/**
 * Markdown (model cards, chat replies) through react-markdown with GitHub's extensions (tables, nested and task
 * lists, strikethrough, autolinks). Raw HTML is never interpreted: react-markdown shows it as text (no rehype-raw).
 * Only http(s) links are links, and they open outside the app (target=_blank, which the main process hands to the
 * browser); images load only from data: URLs, as the page's CSP allows (img-src 'self' data:), others become links.
 */

/** A code block's text and its rendered <pre>, for a caller that adds actions (the chat's copy button). */
export type CodeBlockRenderer = (code: string, pre: ReactNode) => ReactNode;

interface HastLike {
  type: string;
  value?: string;
  children?: HastLike[];
}

function textOf(node: HastLike | undefined): string {
  if (!node) return '';
  if (node.type === 'text') return node.value ?? '';
  return (node.children ?? []).map(textOf).join('');
}

const isWebUrl = (url: string | undefined): url is string => !!url && /^https?:\/\//i.test(url.trim());
const isDataImage = (url: string | undefined): url is string => !!url && /^data:image\/(?:png|gif|jpe?g|webp|avif);/i.test(url.trim());

/** react-markdown's own filter (drops javascript: and friends), plus inline images as data: URLs. */
const urlTransform: UrlTransform = (url, key) => (key === 'src' && isDataImage(url) ? url : defaultUrlTransform(url));

type HeadingProps = ComponentPropsWithoutRef<'h1'> & ExtraProps;

function headingAt(level: number) {
  // Headings sit under the pane's own h2/h3.
  return function Heading({ children }: HeadingProps) {
    return createElement(`h${Math.min(6, level + 3)}`, { className: 'card-heading' }, children);
  };
}

function buildComponents(codeBlock?: CodeBlockRenderer): Components {
  return {
    h1: headingAt(1),
    h2: headingAt(2),
    h3: headingAt(3),
    h4: headingAt(4),
    h5: headingAt(5),
    h6: headingAt(6),
    a({ href, children }) {
      if (!isWebUrl(href)) return <span>{children}</span>;
      return (
        <a href={href} target="_blank" rel="noopener noreferrer">
          {children}
        </a>
      );
    },
    img({ src, alt }) {
      const url = typeof src === 'string' ? src : undefined;
      if (isDataImage(url)) return <img src={url} alt={alt ?? ''} className="markdown-image" />;
      const label = `[image${alt ? `: ${alt}` : ''}]`;
      if (isWebUrl(url)) {
        return (
          <a href={url} target="_blank" rel="noopener noreferrer" className="muted">
            {label}
          </a>
        );
      }
      return <span className="muted">{label}</span>;
    },
    pre({ node, children }) {
      const pre = <pre className="code-block">{children}</pre>;
      if (!codeBlock) return pre;
      return codeBlock(textOf(node).replace(/\n$/, ''), pre);
    },
    table({ children }) {
      return (
        <div className="markdown-table">
          <table>{children}</table>
        </div>
      );
    },
  };
}

const defaultComponents = buildComponents();
const plugins = [remarkGfm];

interface RawOrParent {
  type: string;
  value?: string;
  children?: RawOrParent[];
}

/**
 * Model cards are full of layout HTML (`<div align="center">`, `<img>` badges). Without rehype-raw it would show as
 * literal tags; this keeps only the text between the tags, still as text (nothing is ever interpreted as HTML).
 */
function rehypeHtmlToText() {
  const walk = (node: RawOrParent): void => {
    for (const child of node.children ?? []) {
      if (child.type === 'raw') {
        child.type = 'text';
        child.value = (child.value ?? '').replace(/<!--[\s\S]*?-->/g, '').replace(/<\/?[A-Za-z][^>]*>/g, '');
      } else walk(child);
    }
  };
  return (tree: RawOrParent) => walk(tree);
}
const stripPlugins = [rehypeHtmlToText];

/** One top-level block; memoized on its text, so a streaming reply re-renders only the block that changed. */
const MarkdownBlock = memo(function MarkdownBlock({ source, components, stripHtml }: { source: string; components: Components; stripHtml: boolean }) {
  return (
    <ReactMarkdown remarkPlugins={plugins} rehypePlugins={stripHtml ? stripPlugins : undefined} components={components} urlTransform={urlTransform}>
      {source}
    </ReactMarkdown>
  );
});

interface MarkdownViewProps {
  text: string;
  /** Renders code blocks with actions; keep it stable (module level) so blocks stay memoized. */
  codeBlock?: CodeBlockRenderer;
  /** Shows only the first `limit` blocks (a huge model card), with `more` after them. */
  limit?: number;
  more?: ReactNode;
  className?: string;
  testId?: string;
  /** Show raw HTML's text without its tags (model cards); by default the tags show as typed (chat replies). */
  stripHtml?: boolean;
}

export function MarkdownView({ text, codeBlock, limit, more, className, testId, stripHtml = false }: MarkdownViewProps) {
  const blocks = useMemo(() => splitMarkdownBlocks(text), [text]);
  const components = useMemo(() => (codeBlock ? buildComponents(codeBlock) : defaultComponents), [codeBlock]);
  const shown = limit !== undefined && blocks.length > limit ? blocks.slice(0, limit) : blocks;
  return (
    <div className={className ? `model-card ${className}` : 'model-card'} data-testid={testId}>
      {shown.map((source, i) => (
        <MarkdownBlock key={i} source={source} components={components} stripHtml={stripHtml} />
      ))}
      {shown.length < blocks.length && more}
    </div>
  );
}
