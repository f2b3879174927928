/**
 * End to end, as a person would: the VSIX from `npm run package` installed into code-server, the
 * workbench in Debian's Chromium, clicks and keys through playwright-core. Screenshots go to
 * test-results/screenshots (ignored by git).
 */
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import packageJson from '../../package.json';
import { chooseFromContextMenu, openWorkbench, runFromPalette, screenshot, screenshotOnFailure, type Workbench } from '../support/browser';
import { REPO_ROOT, makeTempDir } from '../support/processes';

const UI_TIMEOUT_MS = 30_000;

describe('ACA in the VS Code UI (E2E)', function () {
  this.timeout(120_000);

  let workbench: Workbench;
  let page: Page;
  let workspace: { dir: string; cleanup: () => Promise<void> };

  before(async () => {
    workspace = await makeTempDir('e2e-ws');
    await cp(path.join(REPO_ROOT, 'test', 'fixtures', 'workspace'), workspace.dir, { recursive: true });
    // No Claude Code here on purpose: analysis must say so once, with the fix.
    workbench = await openWorkbench({ workspace: workspace.dir, settings: { 'aca.claudeCode.path': '/nonexistent/claude' } });
    page = workbench.page;
  });

  after(async () => {
    await workbench?.close();
    await workspace?.cleanup();
  });

  screenshotOnFailure(() => page);

  it('shows the ACA container in the activity bar and the Tasks view with its how-to-start text', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="ACA"]').click();
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Tasks' }) });
    await pane.waitFor({ timeout: UI_TIMEOUT_MS });
    const welcome = pane.locator('.welcome-view-content');
    await welcome.waitFor({ timeout: UI_TIMEOUT_MS });
    const text = await welcome.innerText();
    assert.match(text, /No plan yet\./);
    assert.match(text, /Right-click a tasks\.md, TODO\.md, \.taskmaster\/tasks\/tasks\.json or a spec folder in the Explorer and choose "Parse Tasks File"/);
    await screenshot(page, 'e2e-tasks-view');
  });

  it('runs "ACA: Show Log" from the command palette and shows the activation line in the ACA log', async () => {
    await runFromPalette(page, 'ACA: Show Log');
    const panel = page.locator('.part.panel');
    await panel.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    const activation = panel.locator('.view-lines', { hasText: `Automatic Coding Agent ${packageJson.version} activated` });
    await activation.waitFor({ timeout: UI_TIMEOUT_MS });
    // Monaco renders spaces as no-break spaces, and wraps the long line (activate()'s time ends it) in the panel.
    const line = (await activation.innerText()).replace(/\u00a0/g, ' ').replace(/ *\n */g, ' ');
    assert.match(line, /\[info\] \[extension\] Automatic Coding Agent \S+ activated in VS Code \S+; workspace trusted/);
    await screenshot(page, 'e2e-show-log');
  });

  it('right-click tasks.md → Parse Tasks File shows the task tree, and a broken reference in Problems at its line', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
    const file = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^tasks\.md$/ }).first();
    await file.waitFor({ timeout: UI_TIMEOUT_MS });
    await file.click({ button: 'right' });
    const menuItem = page.locator('.context-view .monaco-menu .action-item', { hasText: 'Parse Tasks File' });
    await menuItem.waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page, 'e2e-context-menu');
    // The workbench may drop a click that lands right after the menu opens: the helper makes sure it is taken.
    await chooseFromContextMenu(page, file, 'Parse Tasks File');

    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Tasks' }) });
    const rows = pane.locator('.monaco-list-row');
    await rows.filter({ hasText: 'Second child' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const labels = await rows.evaluateAll((elements) =>
      elements.map((row) =>
        [row.querySelector('.label-name')?.textContent ?? '', row.querySelector('.label-description')?.textContent ?? ''].join(' | ').trim(),
      ),
    );
    assert.deepEqual(labels, [
      'High Priority |',
      'Create a file named hello.txt | 1 · high',
      'docs/spec.md | reference',
      'Already done | 2 · high',
      'Follow the missing spec | 3 · high',
      'docs/missing-spec.md | missing reference',
      'Later |',
      'Group | 4',
      'First child | 4.1',
      'Second child | 4.2',
    ]);
    await screenshot(page, 'e2e-parsed-tree');

    // The status bar's problem counter opens the Problems panel.
    await page.locator('[id="status.problems"]').click();
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'docs/missing-spec.md, which does not exist' });
    await problem.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(
      (await problem.innerText()).replace(/\s+/g, ' '),
      /task 3 refers to docs\/missing-spec\.md, which does not exist ACA[ (]?reference-missing\)? \[Ln 8, Col 1\]/,
    );
    await screenshot(page, 'e2e-problems');
  });

  it('the plan panel opens beside the editor; a priority and a dependency are changed by clicking; a cycle is refused', async () => {
    // The webview is two iframes deep in VS Code for the web.
    const panel = page.frameLocator('iframe.webview').first().frameLocator('#active-frame');
    await panel.locator('button', { hasText: 'Approve and Run' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page, 'e2e-plan-panel');

    await panel.locator('select[aria-label="Priority of task 3"]').selectOption('critical');
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Tasks' }) });
    await pane.locator('.monaco-list-row', { hasText: 'Follow the missing spec' }).filter({ hasText: 'critical' }).waitFor({ timeout: UI_TIMEOUT_MS });

    await panel.locator('select[aria-label="Add a dependency to task 4.2"]').selectOption('1');
    await panel.locator('tr[data-task="4.2"] button', { hasText: '1 ×' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await pane.locator('.monaco-list-row', { hasText: 'Second child' }).filter({ hasText: 'after 1' }).waitFor({ timeout: UI_TIMEOUT_MS });

    await panel.locator('select[aria-label="Add a dependency to task 1"]').selectOption('4.2');
    const error = panel.locator('.error[role="alert"]');
    await error.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await error.innerText(), /dependency cycle: "1" → "4\.2" → "1"/);
    await screenshot(page, 'e2e-plan-panel-cycle-refused');

    // Undo by keyboard: focus the button and press Enter.
    await panel.locator('button', { hasText: 'Undo' }).focus();
    await page.keyboard.press('Enter');
    await panel.locator('tr[data-task="4.2"] button', { hasText: '1 ×' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
  });

  it('Analyze Tasks with AI without Claude Code shows one notification with the fix', async () => {
    await runFromPalette(page, 'ACA: Analyze Tasks with AI');
    const toast = page.locator('.notification-toast', { hasText: 'ACA cannot use Claude Code' });
    await toast.waitFor({ timeout: UI_TIMEOUT_MS });
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    assert.match(
      text,
      /Install Claude Code \(npm install -g @anthropic-ai\/claude-code\) or set "aca\.claudeCode\.path"; "\/nonexistent\/claude" was not found\./,
    );
    assert.match(text, /Open Settings/);
    assert.equal(await page.locator('.notification-toast', { hasText: 'Claude Code' }).count(), 1, 'one notification, not one per attempt');
    await screenshot(page, 'e2e-claude-missing');
  });

  it('lists ACA among the installed extensions, installed from the VSIX', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Extensions"]').click();
    const item = page.locator('.extensions-viewlet .monaco-list-row', { hasText: packageJson.displayName });
    await item.first().waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await item.first().innerText(), new RegExp(packageJson.displayName));
    await screenshot(page, 'e2e-installed');
  });
});
