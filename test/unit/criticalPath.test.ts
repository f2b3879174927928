import assert from 'node:assert/strict';
import { newTask, type Task } from '../../src/core/model/plan';
import { criticalPath } from '../../src/core/schedule/criticalPath';

function task(id: string, dependsOn: string[] = [], complexity: Task['complexity'] = null): Task {
  return newTask({ id, title: `Task ${id}`, parent: null, status: 'pending', source: null, dependsOn, complexity });
}

describe('the critical path the plan panel marks', () => {
  it('is empty for a plan without tasks', () => {
    assert.deepEqual(criticalPath([]), []);
  });

  it('starts at the root with the most work below it and follows the heaviest dependent', () => {
    const tasks = [task('a'), task('b'), task('c', ['b']), task('d', ['c']), task('e', ['b']), task('f', ['a'])];
    assert.deepEqual(criticalPath(tasks), ['b', 'c', 'd']);
  });

  it('weighs complexity, not the number of tasks', () => {
    const tasks = [task('a'), task('b', ['a'], 'trivial'), task('c', ['b'], 'trivial'), task('d', ['a'], 'epic')];
    assert.deepEqual(criticalPath(tasks), ['a', 'd']);
  });

  it('takes the first in the document on a tie', () => {
    const tasks = [task('x'), task('y'), task('x1', ['x']), task('y1', ['y'])];
    assert.deepEqual(criticalPath(tasks), ['x', 'x1']);
  });
});
