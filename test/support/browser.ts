/**
 * Debian's Chromium driven by playwright-core (never a browser download). The flags keep it from
 * reaching for the network, which is closed here and would only add noise and delay.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startCodeServer, type CodeServerOptions, type RunningCodeServer } from './codeServer';
import { REPO_ROOT } from './processes';

export const VSIX = path.join(REPO_ROOT, 'dist', 'automatic-coding-agent.vsix');

export interface Workbench {
  readonly server: RunningCodeServer;
  readonly browser: Browser;
  readonly page: Page;
  close(): Promise<void>;
}

/** code-server with the packaged VSIX installed, and Chromium showing its workbench on the workspace. */
export async function openWorkbench(options: Omit<CodeServerOptions, 'installVsix'>): Promise<Workbench> {
  const server = await startCodeServer({ ...options, installVsix: VSIX });
  const browser = await launchChromium().catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(options.workspace)}`);
  await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
  return {
    server,
    browser,
    page,
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

/**
 * Right-click `target` and choose `item` from its context menu, as a person would. A fresh workbench may still
 * be laying out the view: a menu opened too early closes again, or opens without the item, so the right-click
 * is repeated until the item shows. A menu drops a click that comes right after it opened (the right-click's
 * own mouse-up must not pick an item); then the highlighted item is taken with Enter, as a keyboard user would.
 */
export async function chooseFromContextMenu(page: Page, target: Locator, item: string): Promise<void> {
  const entry = page.locator('.context-view .monaco-menu .action-item', { hasText: item });
  for (let attempt = 0; attempt < 4 && !(await entry.isVisible()); attempt++) {
    await dismissContextMenu(page);
    await target.click({ button: 'right' });
    await entry.waitFor({ timeout: 5000 }).catch(() => undefined);
  }
  await page.waitForTimeout(300);
  await entry.click();
  await page.waitForTimeout(500);
  if (await page.locator('.context-view .monaco-menu').isVisible()) {
    await page.keyboard.press('Enter');
  }
  await dismissContextMenu(page);
}

/**
 * Closes a context menu left open. Escape goes to whatever holds the keyboard focus (a webview keeps it), so
 * when the menu stays, a click on the screen-wide block behind it closes it, as a click beside a menu does.
 */
export async function dismissContextMenu(page: Page): Promise<void> {
  const block = page.locator('.context-view-block');
  for (let attempt = 0; attempt < 3 && (await block.isVisible()); attempt++) {
    await page.keyboard.press('Escape');
    await page.waitForTimeout(200);
    if (await block.isVisible()) {
      await page.mouse.click(2, 450);
      await page.waitForTimeout(200);
    }
  }
}

/** In a mocha suite: a screenshot of the page when a test fails, named after the test. */
export function screenshotOnFailure(page: () => Page | undefined): void {
  afterEach(async function () {
    const current = page();
    if (this.currentTest?.state === 'failed' && current) {
      await screenshot(current, `failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
  });
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env['ACA_CHROMIUM_BIN'] || '/usr/bin/chromium';
  return chromium.launch({
    executablePath,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

export function resultsDir(): string {
  return process.env['ACA_TEST_RESULTS'] || path.join(REPO_ROOT, 'test-results');
}

/** Saves a screenshot under test-results/screenshots (ignored by git) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(resultsDir(), 'screenshots');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Runs a command by its title from the command palette (F1), as a person would. The palette lists only
 * commands enabled at the moment it opens (right after a reload, `isWorkspaceTrusted` is not known yet):
 * when the command is not listed, it is closed and opened again until the timeout.
 */
export async function runFromPalette(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const row = page
    .locator('.quick-input-list .monaco-list-row', {
      has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
    })
    .first();
  for (const deadline = Date.now() + timeoutMs; ;) {
    // F1 goes nowhere while a webview holds the keyboard focus: give it back to the workbench first.
    for (let attempt = 0; attempt < 4 && !(await input.isVisible()); attempt++) {
      await page
        .locator('.part.sidebar .composite.title')
        .first()
        .click({ timeout: 5000 })
        .catch(() => undefined);
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5000 }).catch(() => undefined);
    }
    await input.waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
    await input.fill(`>${title}`);
    const remaining = deadline - Date.now();
    if (
      await row.waitFor({ timeout: Math.max(1000, Math.min(5000, remaining)) }).then(
        () => true,
        () => false,
      )
    ) {
      break;
    }
    if (remaining <= 5000) {
      await row.waitFor({ timeout: 1000 }); // fails with the locator in the message
    }
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000);
  }
  // Not Enter: the highlighted row is the best fuzzy match, which may be another command.
  await row.click();
}
