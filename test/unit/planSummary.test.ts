import assert from 'node:assert/strict';
import { formatPlanSummary } from '../../src/cli/planSummary';
import { planSchema, type TaskInput } from '../../src/core/model/plan';

function plan(format: string | undefined, tasks: TaskInput[]): ReturnType<typeof planSchema.parse> {
  return planSchema.parse({
    version: 1,
    name: 'Tasks: Albums',
    source: { path: 'specs/001/tasks.md', ...(format ? { format } : {}), sha256: '0'.repeat(64) },
    tasks,
  });
}

describe('formatPlanSummary', () => {
  it('names the format the file was read as, with its phases, dependencies and [P] tasks', () => {
    const summary = formatPlanSummary(
      plan('spec-kit', [
        { id: 'phase-1', title: 'Phase 1: Setup' },
        { id: 'T001', title: 'Create the project', parent: 'phase-1', status: 'done' },
        { id: 'T002', title: 'Add linting', parent: 'phase-1', parallel: true },
        { id: 'phase-2', title: 'Phase 2: Albums', dependsOn: ['phase-1'] },
        { id: 'T003', title: 'Album model', parent: 'phase-2', parallel: true, story: 'US1', files: ['src/models/album.py'] },
        { id: 'T004', title: 'Album list', parent: 'phase-2', dependsOn: ['T003'], story: 'US1' },
      ]),
    ).split('\n');
    assert.equal(summary[0], 'Plan "Tasks: Albums": 6 tasks (1 done), strategy sequential, from specs/001/tasks.md');
    assert.equal(summary[1], 'Read as spec-kit tasks: 4 tasks in 2 phases, 2 with dependencies, 2 parallel-safe [P]');
    assert.ok(summary.includes('      ○ T003  Album model  [P; US1]'), summary.join('\n'));
    assert.ok(summary.includes('      ○ T004  Album list  [US1; after T003]'), summary.join('\n'));
  });

  it('says "groups" for other formats, and nothing for a plan file of no known format', () => {
    const tasks: TaskInput[] = [
      { id: '1', title: 'Group' },
      { id: '1.1', title: 'Child', parent: '1' },
      { id: '2', title: 'Alone' },
    ];
    assert.equal(formatPlanSummary(plan('kiro', tasks)).split('\n')[1], 'Read as Kiro spec: 2 tasks in 1 group');
    assert.equal(formatPlanSummary(plan(undefined, tasks)).split('\n')[1], '    ○ 1  Group');
  });
});
