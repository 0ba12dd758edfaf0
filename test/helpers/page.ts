/** Small Playwright helpers shared by the end-to-end tests. */
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { testOutput } from './paths';

/** Generous, because CI machines are small and busy; a wait ends as soon as its condition holds. */
export const WAIT_MS = 20_000;
export const shots = join(testOutput, 'e2e');

/** What the in-page functions below use of the DOM (this project's Node typings have no DOM lib). */
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

export const byTestId = (page: Page, id: string): Locator => page.getByTestId(id);

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

export async function visible(locator: Locator, timeout = WAIT_MS): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout });
  return locator;
}

/** Resolves once the number in `attr` of the first element matching `selector` is above `min` (an empty attribute is no number). */
export async function waitForNumberAbove(page: Page, selector: string, attr: string, min: number, timeout = WAIT_MS): Promise<number> {
  await page.waitForFunction(
    ([sel, name, above]) => {
      const raw = document.querySelector(sel)?.getAttribute(name);
      return raw != null && raw !== '' && Number(raw) > above;
    },
    [selector, attr, min] as const,
    { timeout, polling: 50 },
  );
  return Number(await page.locator(selector).first().getAttribute(attr));
}
