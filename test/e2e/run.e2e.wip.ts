/**
 * NOT RUN by `npm test` yet (the file name keeps it out of the bundle): it passed 12 of 18 runs while I fixed
 * its causes one by one, and 3 of the last 4. On a fresh
 * code-server page the first webview sometimes stays blank, and the recovery below does not always work.
 * Rename to `run.e2e.test.ts` once that is solved.
 *
 * From a person's point of view, with the real `claude` CLI against the scripted model server: right-click
 * tasks.md → Parse → the plan panel → change a priority → Approve and Run → confirm → the status bar counts
 * up → every task done in the tree, the files written and the checkboxes ticked. Screenshots at each step.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, runFromPalette, screenshot } from '../support/browser';
import { startCodeServer, type RunningCodeServer } from '../support/codeServer';
import { ModelServer, type ScriptedTurn } from '../support/modelServer';
import { REPO_ROOT, makeTempDir, repoBin } from '../support/processes';

const VSIX = path.join(REPO_ROOT, 'dist', 'automatic-coding-agent.vsix');
const UI_TIMEOUT_MS = 30_000;
const FILES = ['alpha.txt', 'beta.txt', 'gamma.txt'];


describe('Approve and Run in the VS Code UI (E2E, real claude)', function () {
  this.timeout(180_000);
  let server: RunningCodeServer;
  let models: ModelServer;
  let browser: Browser;
  let page: Page;
  let workspace: { dir: string; cleanup: () => Promise<void> };
  const saved = { ...process.env };

  before(async () => {
    workspace = await makeTempDir('e2e-run-ws');
    await writeFile(path.join(workspace.dir, 'tasks.md'), `# Three files\n\n${FILES.map((f) => `- [ ] Create \`${f}\``).join('\n')}\n`);
    // The agent writes the files in the order ACA asks for them; the scripted model answers each task.
    models = await ModelServer.start({ turns: [], whenExhausted: { type: 'text', text: 'Nothing to do.' } });
    const home = await mkdtemp(path.join(os.tmpdir(), 'aca-e2e-home-'));
    // code-server's extension host inherits this environment: the agent CLI talks to the scripted server.
    Object.assign(process.env, { ANTHROPIC_BASE_URL: models.baseUrl, ANTHROPIC_API_KEY: 'sk-test-not-a-real-key', CLAUDE_CODE_MAX_RETRIES: '0', DISABLE_TELEMETRY: '1', HOME: home });
    server = await startCodeServer({ workspace: workspace.dir, installVsix: VSIX, settings: { 'aca.claudeCode.path': repoBin('claude'), 'aca.model': 'claude-sonnet-4-5' } });
    process.env = { ...saved };
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace.dir)}`);
    await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
  });

  after(async () => {
    process.env = { ...saved };
    await browser?.close();
    await server?.stop();
    await models?.close();
    await workspace?.cleanup();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await screenshot(page, `failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
  });

  it('parse, edit in the panel, approve, and watch the plan run to the end', async () => {
    // "Show Explorer" always shows it (clicking its icon would hide an Explorer already open).
    await runFromPalette(page, 'View: Show Explorer');
    const file = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^tasks\.md$/ }).first();
    await file.waitFor({ timeout: UI_TIMEOUT_MS });
    // A fresh workbench may still be laying out the Explorer: a menu opened too early closes again, so the
    // right-click is repeated until the item shows (as a person would).
    const item = page.locator('.context-view .monaco-menu .action-item', { hasText: 'Parse Tasks File' });
    for (let attempt = 0; attempt < 4 && !(await item.isVisible()); attempt++) {
      await page.keyboard.press('Escape');
      await file.click({ button: 'right' });
      await item.waitFor({ timeout: 5000 }).catch(() => undefined);
    }
    await item.click();

    const panel = page.frameLocator('iframe.webview').first().frameLocator('#active-frame');
    const approve = panel.locator('button', { hasText: 'Approve and Run' });
    // The very first webview of a fresh code-server page sometimes stays blank while its service worker
    // installs; a person would close the panel and open it again, and so does the test.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await approve.waitFor({ timeout: 20_000 }).then(() => true, () => false)) {
        break;
      }
      await runFromPalette(page, 'View: Close All Editors');
      await runFromPalette(page, 'ACA: Open Plan');
    }
    await approve.waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page, 'e2e-run-1-panel');
    // gamma first: critical priority puts it at the head of the queue.
    await panel.locator('select[aria-label="Priority of task 3"]').selectOption('critical');
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Tasks' }) });
    await pane.locator('.monaco-list-row', { hasText: 'gamma' }).filter({ hasText: 'critical' }).waitFor({ timeout: UI_TIMEOUT_MS });
    // The scripted model writes whichever file the prompt names, in the order ACA sends them.
    for (const name of ['gamma.txt', 'alpha.txt', 'beta.txt']) {
      const turns: ScriptedTurn[] = [
        { type: 'tool', name: 'Write', input: { file_path: path.join(workspace.dir, name), content: `${name}\n` } },
        { type: 'text', text: `Created ${name}.`, delayMs: 700 },
      ];
      models.enqueue(...turns);
    }
    await screenshot(page, 'e2e-run-2-edited');

    await panel.locator('button', { hasText: 'Approve and Run' }).click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await dialog.innerText(), /Run 3 tasks of "Three files" with claude-code\?/);
    await screenshot(page, 'e2e-run-3-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Run$/ }).click();

    const status = page.locator('.statusbar-item', { hasText: /ACA \d\/3/ });
    await status.waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page, 'e2e-run-4-running');

    for (const deadline = Date.now() + 90_000; (await pane.locator('.monaco-list-row .label-description', { hasText: /^done/ }).count()) < 3 && Date.now() < deadline; ) {
      await page.waitForTimeout(500);
    }
    assert.equal(await pane.locator('.monaco-list-row .label-description', { hasText: /^done/ }).count(), 3, `rows: ${await pane.locator('.monaco-list-row').allInnerTexts()}`);
    await screenshot(page, 'e2e-run-5-done');
    for (const name of FILES) {
      assert.equal(await readFile(path.join(workspace.dir, name), 'utf8'), `${name}\n`);
    }
    // The write-back changed tasks.md and the view re-parsed it: the edit made in the panel is still there.
    await page.waitForTimeout(1000);
    assert.equal(await panel.locator('select[aria-label="Priority of task 3"]').inputValue(), 'critical');
    assert.equal(await readFile(path.join(workspace.dir, 'tasks.md'), 'utf8'), `# Three files\n\n${FILES.map((f) => `- [x] Create \`${f}\``).join('\n')}\n`);
  });
});
