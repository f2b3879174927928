import assert from 'node:assert/strict';
import { planSchema } from '../../src/core/model/plan';
import { applyPlanEdit } from '../../src/core/plan/planEdits';
import { acceptProposedChanges, proposedChanges, STRATEGY_PROPOSAL } from '../../src/core/plan/proposal';

describe('analysis proposals (accepted or rejected per task)', () => {
  const current = planSchema.parse({
    version: 1,
    name: 'p',
    tasks: [
      { id: '1', title: 'Schema' },
      { id: '2', title: 'API' },
      { id: '3', title: 'UI', dependsOn: ['2'] },
      { id: '4', title: 'Docs' },
    ],
  });
  const proposed = planSchema.parse({
    version: 1,
    name: 'p',
    strategy: { mode: 'intelligent', maxConcurrent: 3 },
    tasks: [
      { id: '1', title: 'Schema', priority: 'high', complexity: 'moderate' },
      { id: '2', title: 'API', dependsOn: ['1'] },
      { id: '3', title: 'UI', dependsOn: ['2'] },
      { id: '4', title: 'Docs', parent: '3' },
    ],
  });

  it('lists each changed task with its changes in words, the strategy first; unchanged tasks are left out', () => {
    assert.deepEqual(proposedChanges(current, proposed), [
      { taskId: STRATEGY_PROPOSAL, title: 'Strategy', changes: ['sequential, 1 at once → intelligent, 3 at once'] },
      { taskId: '1', title: 'Schema', changes: ['priority: normal → high', 'complexity: none → moderate'] },
      { taskId: '2', title: 'API', changes: ['after: none → 1'] },
      { taskId: '4', title: 'Docs', changes: ['parent: none → 3'] },
    ]);
    assert.deepEqual(proposedChanges(current, current), []);
  });

  it("takes only the accepted tasks' fields, over a plan edited meanwhile; a moved task follows its new parent", () => {
    const edited = applyPlanEdit(current, { type: 'setPriority', taskId: '2', priority: 'critical' });
    const accepted = acceptProposedChanges(edited, proposed, new Set(['1', '4']));
    assert.deepEqual(
      accepted.tasks.map((t) => [t.id, t.priority, t.complexity, t.parent, t.dependsOn.join()]),
      [
        ['1', 'high', 'moderate', null, ''],
        ['2', 'critical', null, null, ''],
        ['3', 'normal', null, null, '2'],
        ['4', 'normal', null, '3', ''],
      ],
    );
    assert.equal(accepted.strategy.mode, 'sequential', 'the strategy only when accepted');
    assert.equal(acceptProposedChanges(edited, proposed, new Set([STRATEGY_PROPOSAL])).strategy.mode, 'intelligent');
  });

  it('refuses a mix that makes a cycle, with the reason', () => {
    // The analysis reversed 2 → 3; the user accepts one half and keeps the other.
    const reversed = planSchema.parse({
      ...proposed,
      tasks: proposed.tasks.map((t) => (t.id === '2' ? { ...t, dependsOn: ['3'] } : t.id === '3' ? { ...t, dependsOn: [] } : t)),
    });
    assert.throws(() => acceptProposedChanges(current, reversed, new Set(['2'])), /These changes together do not make a valid plan: .*cycle/);
    assert.deepEqual(acceptProposedChanges(current, reversed, new Set(['2', '3'])).tasks.find((t) => t.id === '2')!.dependsOn, ['3']);
  });
});
