/**
 * Restricted Mode in a real VS Code, as a person meets it: the folder is opened with workspace trust on,
 * the person answers "No, I don't trust the authors", and ACA still parses and shows the plan, says why
 * nothing runs, and offers no command that would run an agent.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { openWorkbench, runFromPalette, screenshot, screenshotOnFailure, type Workbench } from '../support/browser';
import { makeTempDir } from '../support/processes';

const UI_TIMEOUT_MS = 30_000;

describe('Restricted Mode (E2E)', function () {
  this.timeout(120_000);
  let workbench: Workbench;
  let page: Page;
  let workspace: { dir: string; cleanup: () => Promise<void> };

  before(async () => {
    workspace = await makeTempDir('e2e-restricted-ws');
    await writeFile(path.join(workspace.dir, 'tasks.md'), '# Untrusted\n\n- [ ] Create `a.txt`\n- [ ] Create `b.txt`\n');
    workbench = await openWorkbench({ workspace: workspace.dir, workspaceTrust: true });
    page = workbench.page;
  });

  after(async () => {
    await workbench?.close();
    await workspace?.cleanup();
  });

  screenshotOnFailure(() => page);

  it('parses and shows the plan, says why nothing runs, and offers no command that runs an agent', async () => {
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: UI_TIMEOUT_MS });
    await dialog.locator('.monaco-button', { hasText: "No, I don't trust the authors" }).click();
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: UI_TIMEOUT_MS });

    await page.locator('.activitybar .action-item a[aria-label^="ACA"]').click();
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Tasks' }) });
    await pane
      .locator('.welcome-view-content', { hasText: 'Restricted Mode: ACA parses, shows and edits plans here, but runs no agent' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page, 'e2e-restricted-view');

    await runFromPalette(page, 'ACA: Parse Tasks File');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'tasks.md' }).first().click({ timeout: UI_TIMEOUT_MS });
    await pane.locator('.monaco-list-row', { hasText: 'Create `b.txt`' }).waitFor({ timeout: UI_TIMEOUT_MS });
    // The plan panel shows and edits the plan; its Approve and Run is disabled and says why.
    const approve = page.frameLocator('iframe.webview').first().frameLocator('#active-frame').locator('button', { hasText: 'Approve and Run' });
    await approve.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await approve.isDisabled(), true);
    assert.equal(await approve.getAttribute('title'), 'Restricted Mode: trust this workspace to run the plan');

    // The palette lists only enabled commands: the ones that run anything are not there.
    await page.keyboard.press('Escape');
    await page.locator('.part.sidebar .composite.title').first().click();
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>ACA: ');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'ACA: Parse Tasks File' }).first().waitFor({ timeout: UI_TIMEOUT_MS });
    const listed = await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
    await screenshot(page, 'e2e-restricted-palette');
    await page.keyboard.press('Escape');
    for (const title of ['ACA: Run Plan', 'ACA: Resume Session…', 'ACA: Analyze Tasks with AI', 'ACA: Retry Failed Tasks', 'ACA: Create Checkpoint']) {
      assert.ok(!listed.includes(title), `${title} is offered in Restricted Mode: ${listed.join(', ')}`);
    }
    assert.ok(listed.includes('ACA: Open Plan'), `viewing stays available: ${listed.join(', ')}`);
  });
});
