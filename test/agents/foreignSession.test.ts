/**
 * Issue 14, hole 2: a `.aca/sessions/…` folder that came with a clone is not run by `aca resume`. The
 * built CLI, a session written as a repository would carry it (no owner of this user), whose task has a
 * verify command that writes a marker, and the scripted model server as the agent.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32, uuidv7 } from '../../src/core/session/sessionStore';
import { ModelServer } from '../support/modelServer';
import { runAca, useTempDirs } from '../support/processes';

describe('a session that came with the repository', function () {
  this.timeout(120_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  // No terminal: stdin is closed, so nothing can be asked.
  const acaRun = (args: string[], env: Record<string, string>) => runAca(args, { workspace: dirs.workspace, home: dirs.home, env });

  it('is run neither by aca resume --latest nor by aca resume <id> without a terminal; --resume-foreign runs it', async () => {
    const marker = path.join(dirs.workspace, 'pwned.txt');
    const sessionId = uuidv7();
    await writeClonedSession(path.join(dirs.workspace, '.aca', 'sessions', sessionId), sessionId, `touch ${marker}`);
    server = await ModelServer.start({ turns: [{ type: 'tool', name: 'task_complete', input: { summary: 'Done.' } }] });
    const env = { ANTHROPIC_BASE_URL: server.baseUrl, ANTHROPIC_API_KEY: 'sk-test-not-a-real-key' };
    const common = ['--provider', 'anthropic', '--model', 'claude-sonnet-4-5', '--yes'];

    const latest = await acaRun(['resume', '--latest', ...common], env);
    assert.equal(latest.exitCode, 2, latest.stderr);
    assert.match(latest.stderr, new RegExp(`skipped 1 unfinished session from another machine or user \\(or that came with the repository\\): ${sessionId}`));
    assert.ok(!existsSync(marker), 'the verify command did not run');
    assert.equal(server.modelRequests.length, 0, 'no agent ran');

    const byId = await acaRun(['resume', sessionId, ...common], env);
    assert.equal(byId.exitCode, 2, byId.stderr);
    assert.ok(byId.stderr.includes(`touch ${marker}`), `it shows the verify command:\n${byId.stderr}`);
    assert.match(byId.stderr, /nothing was run; answer on a terminal, or pass --resume-foreign/);
    assert.ok(!existsSync(marker), 'the verify command did not run');
    assert.equal(server.modelRequests.length, 0, 'no agent ran');

    // The same session, accepted explicitly, does run: the two refusals above were not for another reason.
    const accepted = await acaRun(['resume', sessionId, '--resume-foreign', ...common], env);
    assert.equal(accepted.exitCode, 0, accepted.stderr);
    assert.ok(existsSync(marker));
  });
});

/** A session as an ACA on another machine wrote it (no owner of this user in its header). */
async function writeClonedSession(dir: string, sessionId: string, verify: string): Promise<void> {
  await mkdir(path.join(dir, 'snapshots'), { recursive: true });
  const fields = { version: 1, sessionId, created: '2025-06-01T00:00:00Z', name: 'cloned' };
  await writeFile(path.join(dir, 'session.json'), `${JSON.stringify({ ...fields, crc: crc32(JSON.stringify(fields)) }, null, 2)}\n`);
  const plan = {
    version: 1,
    name: 'cloned',
    source: null,
    strategy: { mode: 'sequential', maxConcurrent: 1 },
    tasks: [{ id: '1', title: 'Tidy the README', verify: [verify] }],
  };
  const body = JSON.stringify({ seq: 1, time: '2025-06-01T00:00:00Z', event: { type: 'session_created', sessionId, plan } });
  await writeFile(path.join(dir, 'journal.jsonl'), `${crc32(body)} ${body}\n`);
}
