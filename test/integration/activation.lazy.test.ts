import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { planSchema } from '../../src/core/model/plan';
import { sessionOwner } from '../../src/core/session/owner';
import { SessionWriter } from '../../src/core/session/sessionStore';
import type { AcaApi } from '../../src/extension/api';

const LISTED_WITHIN_MS = 10_000;

/** Index of the first log line that matches, -1 if none. */
function lineOf(api: AcaApi, pattern: RegExp): number {
  return api.recentLogLines().findIndex((line) => pattern.test(line));
}

// Runs first (file order): no parse has loaded the parser bundle, no run or analysis the runtime bundle yet, and
// the extension is not active (it activates on its first use). Times are the bench's (npm run bench); here only
// what activation loads.
describe('activation loads only what it shows', function () {
  this.timeout(30_000);
  let sessionDir: string | undefined;

  before(async () => {
    // A session on disk before activation, as the CLI or an earlier window leaves one: the Sessions view's first
    // refresh, after activation, lists it.
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace, 'a workspace folder is open');
    const plan = planSchema.parse({ version: 1, name: 'On disk before activation', tasks: [{ id: '1', title: 'Nothing to run' }] });
    const writer = await SessionWriter.create(path.join(workspace, '.aca', 'sessions'), plan, { owner: await sessionOwner() });
    sessionDir = writer.dir;
    await writer.close();
  });

  after(async () => {
    // Later suites count the sessions of the workspace: this one goes (the view's watcher refreshes it away).
    if (sessionDir !== undefined) {
      await rm(sessionDir, { recursive: true, force: true });
    }
  });

  it('activates without loading the parser (dist/parser.js), the runtime bundle (engine, providers, AI SDK) or the session store (dist/sessions.js, zod), and logs how long activate() took', async () => {
    const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
    assert.ok(extension);
    assert.equal(extension.isActive, false, 'the extension is not active before this suite');
    const api = await extension.activate();
    const loaded = Object.keys(require.cache);
    assert.ok(
      loaded.some((file) => file.endsWith('/dist/extension.js')),
      'dist/extension.js is loaded',
    );
    assert.deepEqual(
      loaded.filter((file) => file.endsWith('/dist/runtime.js') || file.endsWith('/dist/parser.js')),
      [],
      'dist/runtime.js and dist/parser.js are not loaded',
    );
    const activated = lineOf(api, /activate\(\) took \d+(\.\d+)? ms/);
    assert.ok(activated >= 0, JSON.stringify(api.recentLogLines()));
    // The session store may have loaded by now (the view's first refresh runs once activate() has returned), but
    // not inside activate(): its line, if any, comes after the one activate() ends with.
    const store = lineOf(api, /loaded the session store \(sessions\.js\)/);
    assert.ok(store === -1 || store > activated, `the session store loaded inside activate(): ${JSON.stringify(api.recentLogLines())}`);
  });

  it('the Sessions view lists the sessions on disk after activation, without a refresh, from the session store loaded then', async () => {
    const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
    assert.ok(extension);
    const api = await extension.activate();
    const deadline = Date.now() + LISTED_WITHIN_MS;
    let labels: string[] = [];
    while (Date.now() < deadline) {
      labels = (await api.sessionRows()).map((row) => row.label);
      if (labels.includes('On disk before activation')) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(labels.includes('On disk before activation'), `the Sessions view shows ${JSON.stringify(labels)}`);
    assert.ok(
      Object.keys(require.cache).some((file) => file.endsWith('/dist/sessions.js')),
      'dist/sessions.js is loaded by the first refresh',
    );
    assert.ok(lineOf(api, /loaded the session store \(sessions\.js\) in \d+ ms/) > lineOf(api, /activate\(\) took/), JSON.stringify(api.recentLogLines()));
    assert.deepEqual(
      Object.keys(require.cache).filter((file) => file.endsWith('/dist/runtime.js') || file.endsWith('/dist/parser.js')),
      [],
      'listing sessions loads neither the parser nor the runtime',
    );
  });
});
