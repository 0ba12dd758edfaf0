// Renders renderer components into a Happy DOM document for tests of what they do (clicks, keys, focus).
// React and the components are loaded by name at run time, as in markdown-view.test.ts: importing React's types here
// would add its global DOM stubs to this node-side project, and the components are .tsx (the renderer's JSX build).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Element as AnyElement, Event as DomEvent, HTMLElement as DomElement, HTMLInputElement as DomInput } from 'happy-dom';

export type { DomElement, DomInput };
export type Component<P> = (props: P) => unknown;

interface ReactApi {
  createElement: (type: unknown, props?: object | null, ...children: unknown[]) => unknown;
  act: (fn: () => unknown) => Promise<void>;
  useState: <S>(initial: S) => [S, (next: S) => void];
}
interface Root {
  render: (element: unknown) => void;
  unmount: () => void;
}

const root = join(import.meta.dirname, '..', '..');
const load = async <T>(specifier: string): Promise<T> => (await import(specifier)) as T;

export interface Dom {
  h: ReactApi['createElement'];
  useState: ReactApi['useState'];
  document: { body: DomElement; activeElement: DomElement | null; createElement(tag: string): DomElement };
  /** Server-side rendering: what markup a component makes, with no effects run. */
  html(element: unknown): string;
  /** A module of the renderer, by its path from the repository root. */
  component<M>(path: string): Promise<M>;
  render(element: unknown): Promise<{ container: DomElement; rerender: (element: unknown) => Promise<void>; unmount: () => Promise<void> }>;
  act(fn: () => unknown): Promise<void>;
  click(el: AnyElement): Promise<void>;
  key(el: AnyElement, key: string): Promise<void>;
  /** Types into a field as a user would: React sees an input event with the new value. */
  type(el: AnyElement, text: string): Promise<void>;
  focus(el: AnyElement): Promise<void>;
  blur(el: AnyElement): Promise<void>;
  close(): Promise<void>;
}

/** Registers Happy DOM's window as the global one (before react-dom loads: it checks for a DOM once) and loads React. */
export async function setupDom(): Promise<Dom> {
  const { GlobalRegistrator: registrator } = await load<{ GlobalRegistrator: { register(o?: object): void; unregister(): Promise<void> } }>(
    '@happy-dom/global-registrator',
  );
  registrator.register({ url: 'http://localhost/' });
  const g = globalThis as unknown as Record<string, unknown>;
  g.IS_REACT_ACT_ENVIRONMENT = true;
  const React = await load<ReactApi>('react');
  g.React = React;
  const { createRoot } = await load<{ createRoot: (el: DomElement) => Root }>('react-dom/client');
  const { renderToStaticMarkup } = await load<{ renderToStaticMarkup: (element: unknown) => string }>('react-dom/server');
  const document = g.document as Dom['document'];
  const win = g as unknown as {
    KeyboardEvent: new (type: string, init: object) => DomEvent;
    Event: new (type: string, init: object) => DomEvent;
    FocusEvent: new (type: string, init: object) => DomEvent;
    HTMLInputElement: { prototype: object };
  };
  // Events often start async work (a save): a macrotask inside act lets its promise chain settle there too.
  const act = (fn: () => unknown): Promise<void> =>
    React.act(async () => {
      await fn();
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  const roots: Root[] = [];

  return {
    h: React.createElement,
    useState: React.useState,
    document,
    html: renderToStaticMarkup,
    component: <M>(path: string) => load<M>(pathToFileURL(join(root, path)).href),
    async render(element) {
      const container = document.createElement('div');
      document.body.appendChild(container);
      const r = createRoot(container);
      roots.push(r);
      await act(() => r.render(element));
      return {
        container,
        rerender: (next) => act(() => r.render(next)),
        unmount: async () => {
          await act(() => r.unmount());
          container.remove();
        },
      };
    },
    act,
    click: (el) => act(() => (el as DomElement).click()),
    key: (el, key) => act(() => void el.dispatchEvent(new win.KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }))),
    async type(el, text) {
      // React tracks the value it last set: only the prototype's setter makes the change visible to it.
      const { set } = Object.getOwnPropertyDescriptor(win.HTMLInputElement.prototype, 'value') as { set: (this: unknown, value: string) => void };
      await act(() => {
        set.call(el, text);
        el.dispatchEvent(new win.Event('input', { bubbles: true }));
      });
    },
    focus: (el) => act(() => (el as DomElement).focus()),
    blur: (el) => act(() => (el as DomElement).blur()),
    async close() {
      for (const r of roots) await act(() => r.unmount());
      await registrator.unregister();
    },
  };
}
