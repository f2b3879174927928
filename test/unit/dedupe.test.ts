import assert from 'node:assert/strict';
import { planSchema } from '../../src/core/model/plan';
import { DUPLICATE_THRESHOLD, findDuplicates, findDuplicatesReport, mergeDuplicates, titleSimilarity } from '../../src/core/tasks/dedupe';

const plan = planSchema.parse({
  version: 1,
  name: 'dupes',
  tasks: [
    { id: '1', title: 'Add unit tests for the parser', references: [{ path: 'a.md', found: true }] },
    { id: '2', title: 'Write the README' },
    {
      id: '3',
      title: 'Add unit tests for the parser.',
      dependsOn: ['2'],
      requirements: ['1.1'],
      references: [{ path: 'b.md', found: false }],
      description: 'cover edge cases',
    },
    { id: '4', title: 'Ship it', dependsOn: ['3'] },
    { id: '5', title: 'Add unit test for the parsers' },
  ],
});

describe('deduplication', () => {
  it('scores normalised titles: identical 1, unrelated low', () => {
    assert.equal(titleSimilarity('Add unit tests!', 'add   UNIT tests'), 1);
    assert.ok(titleSimilarity('Write the README', 'Ship it') < 0.3);
    assert.ok(titleSimilarity('Add unit tests for the parser', 'Add unit test for the parsers') >= DUPLICATE_THRESHOLD);
  });

  it('reports near-identical tasks deterministically, keeping the earlier one', () => {
    const pairs = findDuplicates(plan.tasks);
    assert.deepEqual(
      pairs.map((p) => [p.keep, p.drop]),
      [
        ['1', '3'],
        ['1', '5'],
      ],
    );
    assert.deepEqual(findDuplicates(plan.tasks), pairs);
  });

  it('merges on request, keeping every dependency, reference and requirement, and redirecting dependants', () => {
    const merged = mergeDuplicates(plan, findDuplicates(plan.tasks));
    assert.deepEqual(
      merged.tasks.map((t) => t.id),
      ['1', '2', '4'],
    );
    const kept = merged.tasks[0]!;
    assert.deepEqual(kept.dependsOn, ['2']);
    assert.deepEqual(
      kept.references.map((r) => r.path),
      ['a.md', 'b.md'],
    );
    assert.deepEqual(kept.requirements, ['1.1']);
    assert.equal(kept.description, 'cover edge cases');
    assert.deepEqual(merged.tasks[2]!.dependsOn, ['1'], 'task 4 now waits for the kept task');
    assert.equal(plan.tasks.length, 5, 'the input plan is not changed');
  });
});

describe('deduplication at scale', () => {
  it('checks only identical titles above the fuzzy limit, in linear time', () => {
    const tasks = Array.from({ length: 30_000 }, (_, i) => ({ id: String(i + 1), title: i === 29_999 ? 'Task number 7!' : `Task number ${i}` }));
    const big = planSchema.parse({ version: 1, name: 'big', tasks });
    const report = findDuplicatesReport(big.tasks);
    assert.equal(report.fuzzy, false);
    assert.deepEqual(report.pairs, [{ keep: '8', drop: '30000', similarity: 1 }]);
  });
});
