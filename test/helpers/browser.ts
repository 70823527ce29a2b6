// A real Chromium for console tests: Debian's /usr/bin/chromium (CHROMIUM_PATH overrides), driven by playwright-core,
// headless, with nothing that reaches the network on its own. playwright-core gives every launch a fresh profile
// folder (--user-data-dir) and removes it on close.
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface PageOptions {
  width?: number;
  height?: number;
  colorScheme?: 'light' | 'dark';
  /** Accept confirm() dialogs (the console asks before rotating, deleting, cancelling) instead of recording them. */
  acceptDialogs?: boolean;
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (cookies of its own) and page; `problems` collects dialogs, page errors and console errors. */
  page(options?: PageOptions): Promise<{
    context: BrowserContext;
    page: Page;
    problems: string[];
  }>;
  close(): Promise<void>;
}

/** Launches Chromium; call close() in afterAll. */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    page: async (options = {}) => {
      const context = await browser.newContext({
        viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
        colorScheme: options.colorScheme ?? 'light',
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('dialog', (dialog) => {
        if (options.acceptDialogs && dialog.type() === 'confirm') {
          void dialog.accept();
          return;
        }
        problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
        void dialog.dismiss();
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      return { context, page, problems };
    },
    close: async () => {
      await browser.close();
    },
  };
}

/** Signs `page` in to the console at `url` with `key`. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/sign-in`);
  await page.fill('#key', key);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button[type="submit"]')]);
}
