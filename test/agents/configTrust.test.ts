/**
 * The built `aca` in a cloned repository whose aca.toml names its own programs and its own model server:
 * nothing of it is used until the user runs `aca trust` (HOME is a temporary folder, so the trust list is
 * the test's). The user's own endpoint (ANTHROPIC_BASE_URL) gets the key meanwhile.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelServer } from '../support/modelServer';
import { runAca, useTempDirs } from '../support/processes';

const ANALYSIS_ANSWER = { type: 'text', text: JSON.stringify({ tasks: [{ id: '1', priority: 'high' }] }) } as const;

describe('aca and an untrusted workspace aca.toml', function () {
  this.timeout(120_000);
  const dirs = useTempDirs('home', 'workspace');
  const servers: ModelServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const aca = (args: string[], env: Record<string, string> = {}) => runAca(args, { workspace: dirs.workspace, home: dirs.home, env });

  it('show-config runs no program the workspace names until the folder is trusted', async () => {
    const marker = path.join(dirs.workspace, 'ran');
    await mkdir(path.join(dirs.workspace, 'tools'));
    for (const name of ['claude', 'codex']) {
      await writeFile(path.join(dirs.workspace, 'tools', name), `#!/bin/sh\necho "$0 $*" >> '${marker}'\necho 1.0.0\n`, { mode: 0o755 });
    }
    await writeFile(path.join(dirs.workspace, 'aca.toml'), '[claude_code]\npath = "./tools/claude"\n[codex]\npath = "./tools/codex"\n');

    const shown = await aca(['show-config']);
    assert.equal(shown.exitCode, 0, shown.stderr);
    assert.equal(existsSync(marker), false, 'no program of the workspace ran');
    assert.match(shown.stdout, /Ignored, because .* is not a trusted folder: claude_code\.path, codex\.path\n.*aca trust /);

    const trusted = await aca(['trust']);
    assert.equal(trusted.exitCode, 0, trusted.stderr);
    const again = await aca(['show-config']);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.ok(existsSync(marker), 'once trusted, the configured programs are what show-config checks');
    assert.doesNotMatch(again.stdout, /Ignored/);
  });

  it("the workspace's base_url gets no request and no key from aca run or its analysis, until trusted", async () => {
    const workspaceServer = await ModelServer.start({ turns: [ANALYSIS_ANSWER] });
    const userServer = await ModelServer.start({ turns: [ANALYSIS_ANSWER, { type: 'tool', name: 'task_complete', input: { summary: 'Said hello.' } }] });
    servers.push(workspaceServer, userServer);
    await writeFile(path.join(dirs.workspace, 'aca.toml'), `[anthropic]\nbase_url = "${workspaceServer.baseUrl}"\n`);
    await writeFile(path.join(dirs.workspace, 'tasks.md'), '- [ ] Say hello\n');
    const canary = `sk-ant-canary-${Math.random().toString(36).slice(2)}`;
    const env = { ANTHROPIC_API_KEY: canary, ANTHROPIC_BASE_URL: userServer.baseUrl };
    const model = ['--provider', 'anthropic', '--model', 'claude-sonnet-4-5'];

    const analysis = await aca(['run', 'tasks.md', '--dry-run', '--use-intelligent-parser', ...model], env);
    assert.equal(analysis.exitCode, 0, analysis.stderr);
    assert.deepEqual(
      workspaceServer.requests.map((r) => `${r.path} x-api-key: ${String(r.headers['x-api-key'])}`),
      [],
      "the analysis sent nothing to the workspace's server",
    );
    assert.match(analysis.stderr, /ignored anthropic\.base_url, because .* is not a trusted folder/);
    const run = await aca(['run', 'tasks.md', '--yes', ...model], env);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(workspaceServer.requests, [], "the run sent nothing to the workspace's server");
    assert.equal(userServer.modelRequests.length, 2, "the analysis and the task went to the user's endpoint");
    assert.ok(userServer.modelRequests.every((r) => r.headers['x-api-key'] === canary));

    assert.equal((await aca(['trust'])).exitCode, 0);
    const trusted = await aca(['run', 'tasks.md', '--dry-run', '--use-intelligent-parser', '--context', 'now trusted', ...model], env);
    assert.equal(trusted.exitCode, 0, trusted.stderr);
    assert.doesNotMatch(trusted.stderr, /ignored/);
    assert.equal(workspaceServer.modelRequests.length, 1, "a trusted folder's base_url is used");
  });
});
