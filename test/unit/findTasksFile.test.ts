import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findTasksFile, gitRootOf } from '../../src/core/plan/findTasksFile';
import { PlanError } from '../../src/core/model/problems';
import { useTempDirs } from '../support/processes';

async function put(file: string, text = '- [ ] A task\n'): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

async function refusal(target: string): Promise<{ code: string; message: string }> {
  const error = await findTasksFile(target).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(PlanError.is(error), `findTasksFile(${target}) refuses`);
  return { code: error.problems[0]!.code, message: error.problems[0]!.message };
}

describe('findTasksFile: a folder as the tasks file', () => {
  const dirs = useTempDirs('find');

  it("returns a file as it is, and a folder's one tasks file with the folder", async () => {
    const file = await put(path.join(dirs.find, 'notes.md'));
    assert.deepEqual(await findTasksFile(file), { file });
    const kiro = path.join(dirs.find, '.kiro', 'specs', 'units');
    const tasks = await put(path.join(kiro, 'tasks.md'));
    await put(path.join(kiro, 'requirements.md'), '# Requirements\n');
    await put(path.join(kiro, 'design.md'), '# Design\n');
    assert.deepEqual(await findTasksFile(kiro), { file: tasks, folder: kiro });
  });

  it("prefers tasks.md over spec-kit's plan.md in a feature folder", async () => {
    const feature = path.join(dirs.find, 'specs', '001-photo-albums');
    const tasks = await put(path.join(feature, 'tasks.md'));
    await put(path.join(feature, 'plan.md'), '# Implementation Plan\n');
    await put(path.join(feature, 'spec.md'), '# Spec\n');
    assert.equal((await findTasksFile(feature)).file, tasks);
    // The project above it, and the specs folder itself: the one feature's tasks.md.
    assert.equal((await findTasksFile(dirs.find)).file, tasks);
    assert.equal((await findTasksFile(path.join(dirs.find, 'specs'))).file, tasks);
  });

  it("finds Task Master's tasks.json from .taskmaster/ and from the project", async () => {
    const json = await put(path.join(dirs.find, '.taskmaster', 'tasks', 'tasks.json'), '{"master":{"tasks":[]}}');
    await put(path.join(dirs.find, '.taskmaster', 'state.json'), '{}');
    assert.equal((await findTasksFile(path.join(dirs.find, '.taskmaster'))).file, json);
    await put(path.join(dirs.find, 'TODO.md')); // less specific than Task Master's file
    assert.equal((await findTasksFile(dirs.find)).file, json);
  });

  it('takes a lone TODO.md or PLAN.md, and lists the candidates when there are several', async () => {
    const todo = await put(path.join(dirs.find, 'TODO.md'));
    assert.equal((await findTasksFile(dirs.find)).file, todo);
    await put(path.join(dirs.find, 'PLAN.md'));
    assert.deepEqual(await refusal(dirs.find), {
      code: 'tasks-file-ambiguous',
      message: 'a folder with 2 tasks files: PLAN.md, TODO.md; name the one to read',
    });
    await put(path.join(dirs.find, 'specs', 'a', 'tasks.md'));
    await put(path.join(dirs.find, '.kiro', 'specs', 'b', 'tasks.md'));
    await rm(path.join(dirs.find, 'TODO.md'));
    await rm(path.join(dirs.find, 'PLAN.md'));
    assert.deepEqual(await refusal(dirs.find), {
      code: 'tasks-file-ambiguous',
      message: `a folder with 2 tasks files: ${path.join('.kiro', 'specs', 'b', 'tasks.md')}, ${path.join('specs', 'a', 'tasks.md')}; name the one to read`,
    });
  });

  it('says what it expected in a folder without a tasks file, and never picks a link', async () => {
    await put(path.join(dirs.find, 'README.md'), '# Nothing to do\n');
    assert.equal((await refusal(dirs.find)).code, 'tasks-file-not-found');
    assert.match((await refusal(dirs.find)).message, /expected tasks\.md .*\.taskmaster\/tasks\/tasks\.json/);
    await symlink(path.join(dirs.find, 'README.md'), path.join(dirs.find, 'tasks.md'));
    assert.equal((await refusal(dirs.find)).code, 'tasks-file-not-found');
  });

  it('gitRootOf: the nearest folder with a .git folder or file above the tasks file', async () => {
    const file = await put(path.join(dirs.find, 'repo', 'docs', 'specs', 'tasks.md'));
    assert.equal(await gitRootOf(file), undefined);
    await mkdir(path.join(dirs.find, 'repo', '.git'));
    assert.equal(await gitRootOf(file), path.join(dirs.find, 'repo'));
    await writeFile(path.join(dirs.find, 'repo', 'docs', '.git'), 'gitdir: ../.git/worktrees/docs\n');
    assert.equal(await gitRootOf(file), path.join(dirs.find, 'repo', 'docs'));
  });
});
