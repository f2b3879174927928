import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newSessionsRoot, sessionRoots } from '../../src/core/app/sessionPlaces';
import {
  checkpointNewestSession,
  createSession,
  findCheckpoint,
  findSessionOfTask,
  interruptedSessionToOffer,
  previewRestore,
  restoreCheckpoint,
  sessionToResume,
  unfinishedSessions,
} from '../../src/core/app/sessions';
import { planSchema } from '../../src/core/model/plan';
import { sessionOwner } from '../../src/core/session/owner';
import { listSessions, readCheckpoints } from '../../src/core/session/sessions';
import { loadSession, SessionWriter } from '../../src/core/session/sessionStore';
import { useTempDirs } from '../support/processes';

const plan = planSchema.parse({
  version: 1,
  name: 'app',
  tasks: [
    { id: '1', title: 'one' },
    { id: '2', title: 'two' },
  ],
});
const otherPlan = planSchema.parse({ version: 1, name: 'other', tasks: [{ id: '1', title: 'another one' }] });

describe('app: where sessions live', () => {
  it('puts new sessions in the storage, the workspace or the folder named', () => {
    assert.equal(newSessionsRoot({ workspace: '/ws' }), path.join('/ws', '.aca', 'sessions'));
    assert.equal(newSessionsRoot({ workspace: '/ws', storageDir: '/store' }), path.join('/store', 'sessions'));
    assert.equal(newSessionsRoot({ workspace: '/ws', storageDir: '/store', location: 'workspace' }), path.join('/ws', '.aca', 'sessions'));
    assert.equal(newSessionsRoot({ workspace: '/ws', sessionDir: '/elsewhere' }), '/elsewhere');
    assert.equal(newSessionsRoot({ workspace: '/ws', sessionDir: 'rel' }), path.join('/ws', 'rel'));
  });

  it('looks in every place, the private one first, without repeats', () => {
    assert.deepEqual(sessionRoots({ workspace: '/ws' }), [path.join('/ws', '.aca', 'sessions')]);
    assert.deepEqual(sessionRoots({ workspace: '/ws', storageDir: '/store', otherFolders: ['/ws', '/two'] }), [
      path.join('/store', 'sessions'),
      path.join('/ws', '.aca', 'sessions'),
      path.join('/two', '.aca', 'sessions'),
    ]);
    assert.deepEqual(sessionRoots({ workspace: '/ws', sessionDir: '/elsewhere' }), ['/elsewhere']);
  });
});

describe('app: session use cases', function () {
  this.timeout(30_000);
  const dirs = useTempDirs('ws', 'home', 'stranger');
  const places = (): { workspace: string } => ({ workspace: dirs.ws });
  const roots = (): string[] => sessionRoots(places());

  it('creates a session with a first checkpoint of the files, leaving .aca out', async () => {
    await writeFile(path.join(dirs.ws, 'a.txt'), 'a\n');
    await mkdir(path.join(dirs.ws, '.aca', 'cache'), { recursive: true });
    await writeFile(path.join(dirs.ws, '.aca', 'cache', 'x'), 'cache\n');
    const owner = await sessionOwner(dirs.home);
    const { sessionId, dir } = await createSession(places(), plan, { owner, description: 'session start' });
    assert.equal(path.dirname(dir), path.join(dirs.ws, '.aca', 'sessions'));
    const [checkpoint] = await readCheckpoints(dir);
    assert.equal(checkpoint?.description, 'session start');
    assert.ok(checkpoint?.fileCommit, 'the files are in the checkpoint');
    const [listed] = await listSessions(path.dirname(dir), { owner });
    assert.deepEqual([listed?.id, listed?.foreign], [sessionId, false]);
    // The checkpoint restores a.txt and leaves .aca alone.
    await writeFile(path.join(dirs.ws, 'a.txt'), 'changed\n');
    await writeFile(path.join(dirs.ws, '.aca', 'cache', 'x'), 'new cache\n');
    const found = await findCheckpoint(roots(), undefined, { owner });
    assert.ok(found);
    const preview = await previewRestore(dirs.ws, found);
    assert.deepEqual(
      preview.changes.map((c) => c.path),
      ['a.txt'],
    );
    await restoreCheckpoint(dirs.ws, found, preview);
    assert.equal(await readFile(path.join(dirs.ws, 'a.txt'), 'utf8'), 'a\n');
    assert.equal(await readFile(path.join(dirs.ws, '.aca', 'cache', 'x'), 'utf8'), 'new cache\n');
    assert.equal((await loadSession(dir)).state.checkpoints.length, 1);
  });

  it('restores the task states of a checkpoint, found by an id prefix', async () => {
    const owner = await sessionOwner(dirs.home);
    const { dir } = await createSession(places(), plan, { owner, description: 'start' });
    const { writer } = await SessionWriter.resume(dir);
    await writer.append({ type: 'task_started', taskId: '1', attempt: 1 });
    await writer.append({ type: 'task_done', taskId: '1' });
    await writer.close();
    const [checkpoint] = await readCheckpoints(dir);
    const found = await findCheckpoint(roots(), checkpoint?.id.slice(0, 20), { owner });
    assert.equal(found?.checkpoint.id, checkpoint?.id);
    assert.ok(found);
    await restoreCheckpoint(dirs.ws, found);
    assert.equal((await loadSession(dir)).state.tasks['1']?.state, 'pending');
    assert.equal(await findCheckpoint(roots(), 'no-such-id', { owner }), undefined);
  });

  it('checkpoints the newest unfinished session of the user, never one from elsewhere', async () => {
    const owner = await sessionOwner(dirs.home);
    assert.deepEqual(await checkpointNewestSession(places(), 'nothing', { owner }), {});
    const mine = await createSession(places(), plan, { owner, description: 'start' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await createSession(places(), otherPlan, { owner: await sessionOwner(dirs.stranger), description: 'start' });
    const asked: string[] = [];
    const { session, checkpoint } = await checkpointNewestSession(
      places(),
      async (s) => {
        asked.push(s.name);
        return 'before the big change';
      },
      { owner },
    );
    assert.deepEqual([session?.id, asked, checkpoint?.description], [mine.sessionId, ['app'], 'before the big change']);
    assert.equal((await readCheckpoints(mine.dir)).length, 2);
    // No description: nothing is written.
    const none = await checkpointNewestSession(places(), async () => undefined, { owner });
    assert.deepEqual([none.session?.id, none.checkpoint], [mine.sessionId, undefined]);
    assert.equal((await readCheckpoints(mine.dir)).length, 2);
  });

  it('chooses the session to resume: named by a prefix, else the newest of the user’s', async () => {
    const owner = await sessionOwner(dirs.home);
    const mine = await createSession(places(), plan, { owner, description: 'start' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const foreign = await createSession(places(), otherPlan, { owner: await sessionOwner(dirs.stranger), description: 'start' });
    const newest = await sessionToResume(roots(), undefined, { owner });
    assert.deepEqual([newest.session?.id, newest.skippedForeign.map((s) => s.id)], [mine.sessionId, [foreign.sessionId]]);
    const named = await sessionToResume(roots(), foreign.sessionId.slice(0, 16), { owner });
    assert.deepEqual([named.session?.id, named.session?.foreign], [foreign.sessionId, true]);
    assert.equal((await sessionToResume(roots(), 'zzz', { owner })).session, undefined);
    assert.deepEqual(
      (await unfinishedSessions(roots(), owner)).map((s) => s.id),
      [foreign.sessionId, mine.sessionId],
    );
  });

  it('finds the session a task ran in, by id and title, the preferred one first', async () => {
    const first = await createSession(places(), plan, { description: 'start' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await createSession(places(), otherPlan, { description: 'start' });
    assert.equal((await findSessionOfTask(roots(), '1'))?.dir, second.dir, 'the newest');
    assert.equal((await findSessionOfTask(roots(), '1', { title: 'one' }))?.dir, first.dir, 'the title decides');
    assert.equal((await findSessionOfTask(roots(), '1', { preferDir: first.dir }))?.title, 'one');
    assert.equal(await findSessionOfTask(roots(), '2', { title: 'nope' }), undefined);
  });

  describe('the interrupted session to offer', () => {
    it('is one that ran, whose lock no live process holds, not offered before, and the user’s', async () => {
      const owner = await sessionOwner(dirs.home);
      const { sessionId, dir } = await createSession(places(), plan, { owner, description: 'start' });
      assert.equal(await interruptedSessionToOffer(roots(), { owner, alreadyOffered: [] }), undefined, 'only created: not stopped');
      const { writer } = await SessionWriter.resume(dir);
      await writer.append({ type: 'task_started', taskId: '1', attempt: 1 });
      assert.equal(await interruptedSessionToOffer(roots(), { owner, alreadyOffered: [] }), undefined, 'running here: its lock is held');
      await writer.close();
      assert.equal((await interruptedSessionToOffer(roots(), { owner, alreadyOffered: [] }))?.id, sessionId);
      assert.equal(await interruptedSessionToOffer(roots(), { owner, alreadyOffered: [sessionId] }), undefined);
      assert.equal(
        await interruptedSessionToOffer(roots(), { owner: await sessionOwner(dirs.stranger), alreadyOffered: [] }),
        undefined,
        'not offered to another user',
      );
    });

    it('is offered even when a snapshot restarted the journal after its task started', async () => {
      const owner = await sessionOwner(dirs.home);
      const { sessionId, dir } = await createSession(places(), plan, { owner, description: 'start' });
      const { writer } = await SessionWriter.resume(dir, { snapshotEvery: 2 });
      await writer.append({ type: 'task_started', taskId: '1', attempt: 1 });
      for (let i = 0; i < 4; i++) {
        await writer.append({ type: 'task_usage', taskId: '1', inputTokens: 1, outputTokens: 1 });
      }
      await writer.close();
      const journal = await readFile(path.join(dir, 'journal.jsonl'), 'utf8').catch(() => '');
      assert.ok(!journal.includes('"task_started"'), 'the journal no longer holds task_started');
      assert.equal((await interruptedSessionToOffer(roots(), { owner, alreadyOffered: [] }))?.id, sessionId);
    });
  });
});
