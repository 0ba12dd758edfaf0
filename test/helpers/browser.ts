import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** The system Chromium the end-to-end tests drive (playwright-core ships no browser of its own). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep a headless run quiet, offline and fast on a machine with no GPU or display. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** Why browser tests cannot run here, or `undefined` when they can. Pass it as node:test's `skip`. */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  return `no Chromium at ${chromiumPath} (install chromium, or set CHROMIUM_PATH to a Chromium/Chrome binary)`;
}

export async function launchChromium(): Promise<Browser> {
  const reason = chromiumSkipReason();
  if (reason) throw new Error(`Cannot launch Chromium: ${reason}`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Reports every Content-Security-Policy violation as a console error, so one cannot go unnoticed
 * (Chromium logs most of them itself, but not e.g. those of a report-only policy or a blocked eval).
 */
const CSP_REPORTER = `
  document.addEventListener('securitypolicyviolation', (e) => {
    console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' in ' + (e.sourceFile || e.documentURI) + ':' + e.lineNumber);
  });
`;

export interface PageProblems {
  /** Console errors, uncaught page errors and CSP violations, in the order they happened. */
  readonly errors: string[];
  /** Throws when anything went wrong in the page, listing all of it. */
  assertNone(what?: string): void;
}

/**
 * Collects what went wrong in every page of `context`: `console.error` (which includes CSP violations
 * and failed resource loads), uncaught exceptions and unhandled rejections, and pages that crashed.
 * Call before opening pages.
 */
export async function collectPageProblems(context: BrowserContext): Promise<PageProblems> {
  const errors: string[] = [];
  await context.addInitScript(CSP_REPORTER);
  const watch = (page: Page): void => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const loc = msg.location();
      errors.push(`console.error: ${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    });
    page.on('pageerror', (err) => errors.push(`page error: ${err.stack ?? err.message}`));
    page.on('crash', () => errors.push(`page crashed: ${page.url()}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    errors,
    assertNone(what = 'the run') {
      if (errors.length > 0) throw new Error(`${errors.length} error(s) in the page during ${what}:\n${errors.join('\n')}`);
    },
  };
}
