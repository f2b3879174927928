import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planSchema } from '../../src/core/model/plan';
import { createCheckpoint, listSessions, readCheckpoints } from '../../src/core/session/sessions';
import { SessionWriter } from '../../src/core/session/sessionStore';
import { FileCheckpoints } from '../../src/core/workspace/fileCheckpoints';
import { useTempDirs } from '../support/processes';

const plan = planSchema.parse({
  version: 1,
  name: 'ckpt',
  tasks: [
    { id: '1', title: 'a' },
    { id: '2', title: 'b' },
    { id: '3', title: 'c', parent: '2' },
  ],
});

describe('named checkpoints', function () {
  this.timeout(30_000);
  const dirs = useTempDirs('ws');

  it('keeps the newest N, drops older ones with their file refs, and never the newest', async () => {
    const root = path.join(dirs.ws, '.aca', 'sessions');
    const writer = await SessionWriter.create(root, plan);
    const files = await FileCheckpoints.open(dirs.ws, { sessionDir: writer.dir, sessionId: writer.state.sessionId, exclude: ['.aca'] });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      await writeFile(path.join(dirs.ws, 'file.txt'), `version ${i}\n`);
      made.push((await createCheckpoint(writer, `c${i}`, 'task_completed', files, { maxCount: 3, maxAgeDays: 30 })).id);
    }
    const kept = await readCheckpoints(writer.dir);
    assert.deepEqual(
      kept.map((c) => c.description),
      ['c2', 'c3', 'c4'],
    );
    assert.deepEqual(
      writer.state.checkpoints.map((c) => c.id),
      made,
      'the journal still records every checkpoint',
    );
    const refs = execFileSync('git', ['for-each-ref', '--format=%(refname)'], {
      env: { ...process.env, GIT_DIR: path.join(writer.dir, 'shadow.git') },
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    assert.deepEqual(
      refs.sort(),
      made
        .slice(2)
        .map((id) => `refs/aca/${writer.state.sessionId}/${id}`)
        .sort(),
    );

    // Even with a policy that would drop everything, the newest stays.
    await createCheckpoint(writer, 'last', 'manual', files, { maxCount: 0, maxAgeDays: 0 });
    assert.deepEqual(
      (await readCheckpoints(writer.dir)).map((c) => c.description),
      ['last'],
    );

    // The kept checkpoint's files restore.
    await writeFile(path.join(dirs.ws, 'file.txt'), 'ruined\n');
    await files.restore((await readCheckpoints(writer.dir))[0]!.fileCommit!);
    assert.equal(await readFile(path.join(dirs.ws, 'file.txt'), 'utf8'), 'version 4\n');
    await writer.close();
  });

  it('lists sessions newest first with progress counted on the tasks agents run', async () => {
    const root = path.join(dirs.ws, 'sessions');
    const first = await SessionWriter.create(root, plan);
    await first.append({ type: 'task_done', taskId: '1' });
    await first.append({ type: 'task_usage', taskId: '1', inputTokens: 1, outputTokens: 1, costUsd: 0.25 });
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await SessionWriter.create(root, plan);
    await second.close();
    const sessions = await listSessions(root);
    assert.deepEqual(
      sessions.map((s) => [s.id, s.done, s.total, s.costUsd]),
      [
        [second.state.sessionId, 0, 2, 0],
        [first.state.sessionId, 1, 2, 0.25],
      ],
    );
  });
});
