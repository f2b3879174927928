/**
 * End to end: the task files people write, opened as a person would. A spec-kit `tasks.md` and Task
 * Master's `.taskmaster/tasks/tasks.json` are right-clicked in the Explorer; the Tasks view then says which
 * format ACA read (its message), shows the hierarchy (phases over T-tasks, subtasks under their task) and
 * each task's dependencies; the plan panel's header names the file and the format.
 */
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { chooseFromContextMenu, dismissContextMenu, openWorkbench, screenshot, screenshotOnFailure, type Workbench } from '../support/browser';
import { REPO_ROOT, makeTempDir } from '../support/processes';

const UI_TIMEOUT_MS = 30_000;

interface Row {
  readonly label: string;
  readonly description: string;
  readonly level: number;
}

describe('ACA reads spec-kit and Task Master files in the VS Code UI (E2E)', function () {
  this.timeout(120_000);

  let workbench: Workbench;
  let page: Page;
  let workspace: { dir: string; cleanup: () => Promise<void> };

  before(async () => {
    workspace = await makeTempDir('e2e-formats');
    await cp(path.join(REPO_ROOT, 'test', 'fixtures', 'e2e-formats'), workspace.dir, { recursive: true });
    // One row per folder, so each can be opened by its own name.
    workbench = await openWorkbench({ workspace: workspace.dir, settings: { 'explorer.compactFolders': false } });
    page = workbench.page;
  });

  after(async () => {
    await workbench?.close();
    await workspace?.cleanup();
  });

  screenshotOnFailure(() => page);

  const tasksPane = () => page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Tasks' }) });

  /** Opens the Explorer and the folders on the way, then right-clicks the file and parses it. */
  async function parseFromExplorer(folders: readonly string[], file: string): Promise<void> {
    await dismissContextMenu(page);
    // The activity bar toggles: click only when the Explorer is not shown, then move off its hover.
    if (!(await page.locator('.explorer-folders-view').isVisible())) {
      await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
      await page.mouse.move(700, 450);
    }
    const row = (name: string) =>
      page
        .locator('.explorer-folders-view .monaco-list-row', {
          has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
        })
        .first();
    for (const folder of folders) {
      const folderRow = row(folder);
      await folderRow.waitFor({ timeout: UI_TIMEOUT_MS });
      if ((await folderRow.getAttribute('aria-expanded')) !== 'true') {
        await folderRow.click();
      }
    }
    const fileRow = row(file);
    await fileRow.waitFor({ timeout: UI_TIMEOUT_MS });
    await chooseFromContextMenu(page, fileRow, 'Parse Tasks File');
  }

  /** The Tasks view's rows with their depth in the tree, once `last` shows. */
  async function tasksRows(last: string): Promise<Row[]> {
    const rows = tasksPane().locator('.monaco-list-row');
    await rows.filter({ hasText: last }).first().waitFor({ timeout: UI_TIMEOUT_MS });
    return rows.evaluateAll((elements) =>
      elements.map((row) => ({
        label: row.querySelector('.label-name')?.textContent ?? '',
        description: row.querySelector('.label-description')?.textContent ?? '',
        level: Number(row.getAttribute('aria-level') ?? 0),
      })),
    );
  }

  async function viewMessage(expected: RegExp): Promise<string> {
    const message = tasksPane().locator('.message', { hasText: expected });
    await message.waitFor({ timeout: UI_TIMEOUT_MS });
    return message.innerText();
  }

  function find(rows: readonly Row[], label: string): Row {
    const row = rows.find((r) => r.label === label);
    assert.ok(row, `a row "${label}" in ${JSON.stringify(rows)}`);
    return row;
  }

  it('right-click a spec-kit tasks.md: the view names the format, shows phases over T-tasks, [P] and dependencies', async () => {
    await parseFromExplorer(['specs', '001-photo-albums'], 'tasks.md');
    const rows = await tasksRows('Implement the AlbumService');
    await screenshot(page, 'e2e-formats-spec-kit');
    assert.match(await viewMessage(/spec-kit/), /^Read as spec-kit tasks · 6 tasks/);

    const setup = find(rows, 'Phase 1: Setup');
    const stories = find(rows, 'Phase 2: User Story 1 - Organize photos into albums (Priority: P1)');
    assert.deepEqual(
      rows.filter((r) => r.level === setup.level + 1).map((r) => r.description.split(' · ')[0]),
      ['T001', 'T002', 'T003', 'T004'],
      'the T-tasks sit one level under their phases',
    );
    assert.equal(stories.level, setup.level);
    assert.match(stories.description, /^phase-2 · .*after phase-1$/, 'a phase comes after the one before it');
    assert.match(find(rows, 'Configure linting and formatting in `pyproject.toml`').description, /^T002 · \[P\]/);
    assert.match(find(rows, 'Create the Album model in src/models/album.py').description, /^T003 · \[P\] · US1/);
    assert.match(find(rows, 'Implement the AlbumService in src/services/album_service.py').description, /^T004 · US1 · .*after T003$/);

    // The plan panel opened beside it names the file and the format.
    const panel = page.frameLocator('iframe.webview').first().frameLocator('#active-frame');
    const header = panel.locator('p.source');
    await header.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await header.innerText(), 'Read from specs/001-photo-albums/tasks.md as spec-kit tasks');
  });

  it("right-click Task Master's .taskmaster/tasks/tasks.json: the view names the format, subtasks under their task, dependencies", async () => {
    await parseFromExplorer(['.taskmaster', 'tasks'], 'tasks.json');
    const rows = await tasksRows('Write the album handlers');
    await screenshot(page, 'e2e-formats-task-master');
    assert.match(await viewMessage(/Task Master/), /^Read as Task Master · 5 tasks/);

    const api = find(rows, 'Build the album API');
    assert.match(api.description, /^2 · .*after 1$/);
    assert.deepEqual(
      rows.filter((r) => r.level === api.level + 1).map((r) => [r.label, r.description]),
      [
        ['Define the album routes', '2.1'],
        ['Write the album handlers', '2.2 · after 2.1'],
      ],
      'the subtasks sit under their task',
    );
    assert.equal(find(rows, 'Set up the album service project').level, api.level);
    assert.match(find(rows, 'Add photo uploads to albums').description, /^3 · low · after 2$/);

    const panel = page.frameLocator('iframe.webview').first().frameLocator('#active-frame');
    await panel.locator('p.source', { hasText: 'as Task Master' }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await panel.locator('p.source').innerText(), 'Read from .taskmaster/tasks/tasks.json as Task Master');
  });

  it('right-click a spec-kit feature folder: ACA reads its tasks.md and says so', async () => {
    await parseFromExplorer(['specs'], '001-photo-albums');
    const toast = page.locator('.notification-toast', { hasText: 'the tasks file in' });
    await toast.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match((await toast.innerText()).replace(/\s+/g, ' '), /ACA reads specs\/001-photo-albums\/tasks\.md, the tasks file in specs\/001-photo-albums\./);
    await viewMessage(/^Read as spec-kit tasks/);
    await tasksRows('Implement the AlbumService');
    await screenshot(page, 'e2e-formats-folder');
  });
});
