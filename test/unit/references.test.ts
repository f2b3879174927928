import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planSchema } from '../../src/core/model/plan';
import { checkReferences, loadReferenceContext } from '../../src/core/parse/references';
import { makeTempDir } from '../support/processes';

describe('reference context', () => {
  let ws: { dir: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    ws = await makeTempDir('refctx');
    await mkdir(path.join(ws.dir, 'docs'));
  });
  afterEach(async () => ws.cleanup());

  const task = (...paths: string[]) => planSchema.shape.tasks.element.parse({ id: '1', title: 't', references: paths.map((p) => ({ path: p, found: true })) });

  it('follows references inside referenced markdown, once each, and stops at cycles', async () => {
    await writeFile(path.join(ws.dir, 'docs', 'a.md'), '# A\nSee [b](b.md) and [back](../tasks.md).\n');
    await writeFile(path.join(ws.dir, 'docs', 'b.md'), '# B\nLoops to [a](a.md) -> c.txt\n');
    await writeFile(path.join(ws.dir, 'docs', 'c.txt'), 'C text');
    await writeFile(path.join(ws.dir, 'tasks.md'), '- [ ] t -> docs/a.md\n');
    const loaded = await loadReferenceContext(task('docs/a.md'), path.join(ws.dir, 'tasks.md'), ws.dir);
    assert.deepEqual(
      loaded.map((r) => [r.path, r.via ?? null]),
      [
        ['docs/a.md', null],
        ['b.md', 'docs/a.md'],
        ['c.txt', 'b.md'],
      ],
    );
    assert.equal(loaded[2]!.content, 'C text');
  });

  it('never reads outside the workspace, also not through a symlink', async () => {
    const outside = await makeTempDir('outside');
    try {
      await writeFile(path.join(outside.dir, 'secret.txt'), 'secret');
      await symlink(path.join(outside.dir, 'secret.txt'), path.join(ws.dir, 'docs', 'link.txt'));
      const loaded = await loadReferenceContext(
        task('../../' + path.relative('/', outside.dir) + '/secret.txt', 'docs/link.txt'),
        path.join(ws.dir, 'tasks.md'),
        ws.dir,
      );
      assert.deepEqual(loaded, []);
    } finally {
      await outside.cleanup();
    }
  });

  it('bounds the size per file and in total, without cutting a character', async () => {
    await writeFile(path.join(ws.dir, 'docs', 'big.md'), 'é'.repeat(1000));
    await writeFile(path.join(ws.dir, 'docs', 'other.md'), 'x'.repeat(1000));
    const loaded = await loadReferenceContext(task('docs/big.md', 'docs/other.md'), path.join(ws.dir, 'tasks.md'), ws.dir, {
      maxFileBytes: 101,
      maxTotalBytes: 150,
      maxDepth: 1,
    });
    assert.equal(loaded[0]!.content, 'é'.repeat(50), '101 bytes end inside a 2-byte character: 100 bytes are kept');
    assert.equal(loaded[0]!.truncated, true);
    assert.equal(loaded[1]!.content.length, 50, 'the total budget leaves 50 bytes for the second file');
  });

  it('issue 15, kind 7: a path a task names is also a reference when it exists, and never a missing one', async () => {
    await mkdir(path.join(ws.dir, 'specs'));
    await mkdir(path.join(ws.dir, 'src'));
    await writeFile(path.join(ws.dir, 'src', 'app.py'), 'print(1)\n');
    await writeFile(path.join(ws.dir, 'specs', 'notes.md'), '# Notes\n');
    const named = planSchema.shape.tasks.element.parse({ id: '1', title: 't', files: ['src/app.py', 'notes.md', 'src/new_model.py'] });
    const problems = await checkReferences([named], path.join(ws.dir, 'specs', 'tasks.md'), ws.dir, 'specs/tasks.md');
    assert.deepEqual(problems, []);
    assert.deepEqual(named.files, ['src/app.py', 'notes.md', 'src/new_model.py']);
    // As written: resolved beside the tasks file, else from the workspace root.
    assert.deepEqual(named.references, [
      { path: 'src/app.py', found: true },
      { path: 'notes.md', found: true },
    ]);
    const loaded = await loadReferenceContext(named, path.join(ws.dir, 'specs', 'tasks.md'), ws.dir);
    assert.deepEqual(
      loaded.map((r) => [r.path, r.content]),
      [
        ['src/app.py', 'print(1)\n'],
        ['notes.md', '# Notes\n'],
      ],
    );
  });
});
