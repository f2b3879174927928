/**
 * `npm start` as a person runs it: the printed URL opens a real VS Code with ACA's view on the sample
 * workspace, and Ctrl-C (SIGINT to the whole foreground process group) stops it, leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot } from '../support/browser';
import { REPO_ROOT } from '../support/processes';

const URL_LINE = /^\s+(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)$/m;
const PID_LINE = /pid (\d+)\)/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (E2E)', function () {
  this.timeout(180_000);

  let start: ChildProcess | undefined;
  let browser: Browser | undefined;

  after(async () => {
    await browser?.close();
    if (start?.pid && isAlive(start.pid)) {
      process.kill(-start.pid, 'SIGKILL');
    }
  });

  it('opens VS Code with the ACA view on the sample workspace, and Ctrl-C stops every process', async () => {
    // Its own process group, like a shell job: Ctrl-C is SIGINT to every process in it.
    start = spawn('npm', ['start', '--silent'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ACA_START_WEB: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    start.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    start.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const deadline = Date.now() + 120_000;
    while (!URL_LINE.test(output)) {
      assert.ok(Date.now() < deadline, `npm start printed no URL within 120 s:\n${output}`);
      assert.equal(start.exitCode, null, `npm start exited early:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const url = URL_LINE.exec(output)![1]!;
    const codeServerPid = Number(PID_LINE.exec(output)![1]);
    assert.match(decodeURIComponent(url), /examples\/sample-workspace/);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.locator('.activitybar .action-item a[aria-label^="ACA"]').click({ timeout: 60_000 });
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Tasks' }) });
    await pane.locator('.welcome-view-content').waitFor({ timeout: 30_000 });
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'tasks.md' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.activitybar .action-item a[aria-label^="ACA"]').click();
    await screenshot(page, 'npm-start');
    await browser.close();
    browser = undefined;

    const exited = new Promise<number | null>((resolve) => start!.once('close', (code) => resolve(code)));
    process.kill(-start.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000))]);
    assert.notEqual(code, 'timeout', `npm start did not stop within 20 s of Ctrl-C:\n${output.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(isAlive(codeServerPid), false, 'code-server is gone');
    assert.equal(isAlive(start.pid!), false, 'npm start is gone');
    await assert.rejects(fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(2000) }), 'nothing listens on the port any more');
  });
});
