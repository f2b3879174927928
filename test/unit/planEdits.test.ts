import assert from 'node:assert/strict';
import { planSchema } from '../../src/core/model/plan';
import { applyPlanEdit } from '../../src/core/plan/planEdits';
import { planEditSchema } from '../../src/protocol/messages';

describe("plan edits (the plan panel's changes)", () => {
  const plan = planSchema.parse({
    version: 1,
    name: 'p',
    tasks: [
      { id: '1', title: 'Group' },
      { id: '1.1', title: 'first child', parent: '1' },
      { id: '1.2', title: 'second child', parent: '1', dependsOn: ['1.1'] },
      { id: '2', title: 'Second', dependsOn: ['1'] },
      { id: '3', title: 'Third' },
    ],
  });

  it('changes fields, and refuses a dependency that makes a cycle with a message that names it', () => {
    const edited = applyPlanEdit(plan, { type: 'setPriority', taskId: '3', priority: 'critical' });
    assert.equal(edited.tasks[4]!.priority, 'critical');
    assert.equal(plan.tasks[4]!.priority, 'normal', 'the original plan is not changed');
    const dep = applyPlanEdit(plan, { type: 'addDependency', taskId: '3', dependsOn: '2' });
    assert.deepEqual(dep.tasks[4]!.dependsOn, ['2']);
    assert.throws(() => applyPlanEdit(dep, { type: 'addDependency', taskId: '2', dependsOn: '3' }), /dependency cycle: "2" → "3" → "2"/);
    assert.throws(() => applyPlanEdit(plan, { type: 'addDependency', taskId: '3', dependsOn: '3' }), /cannot depend on itself/);
    assert.throws(() => applyPlanEdit(plan, { type: 'setPriority', taskId: 'nope', priority: 'low' }), /there is no task "nope"/);
  });

  it('moves a task with its subtasks among its siblings, removes a task with its subtasks and the dependencies on them', () => {
    const moved = applyPlanEdit(plan, { type: 'moveTask', taskId: '2', direction: 'up' });
    assert.deepEqual(
      moved.tasks.map((t) => t.id),
      ['2', '1', '1.1', '1.2', '3'],
    );
    assert.throws(() => applyPlanEdit(moved, { type: 'moveTask', taskId: '2', direction: 'up' }), /already the first/);
    const removed = applyPlanEdit(plan, { type: 'removeTask', taskId: '1' });
    assert.deepEqual(
      removed.tasks.map((t) => [t.id, t.dependsOn]),
      [
        ['2', []],
        ['3', []],
      ],
    );
  });

  it('adds a task under a parent, skips and un-skips, sets the strategy', () => {
    const added = applyPlanEdit(plan, { type: 'addTask', title: 'third child', parent: '1' });
    assert.deepEqual(
      added.tasks.map((t) => t.id),
      ['1', '1.1', '1.2', 'new-6', '2', '3'],
    );
    assert.equal(added.tasks[3]!.parent, '1');
    const skipped = applyPlanEdit(plan, { type: 'setSkipped', taskId: '3', skipped: true });
    assert.equal(skipped.tasks[4]!.status, 'skipped');
    assert.deepEqual(applyPlanEdit(plan, { type: 'setStrategy', mode: 'parallel', maxConcurrent: 3 }).strategy, { mode: 'parallel', maxConcurrent: 3 });
  });

  it('validates edits as data: unknown kinds and fields are refused', () => {
    assert.equal(planEditSchema.safeParse({ type: 'dropDatabase' }).success, false);
    assert.equal(planEditSchema.safeParse({ type: 'setPriority', taskId: '1', priority: 'urgent' }).success, false);
    assert.equal(planEditSchema.safeParse({ type: 'setPriority', taskId: '1', priority: 'low', extra: 1 }).success, false);
  });
});
