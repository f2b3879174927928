import assert from 'node:assert/strict';
import { readTasksText } from '../../src/core/parse/readTasks';

const TASK_FILE = `---
id: task-12
title: 'Add login, with OAuth'
status: In Progress
assignee:
  - '@alice'
created_date: '2025-06-01 10:00'
labels: [auth, backend]
dependencies:
  - task-10
  - task-11
priority: high
---

## Description

Users can log in with GitHub.

## Acceptance Criteria
<!-- AC:BEGIN -->
- [ ] #1 Users can log in
- [x] #2 Errors are shown
<!-- AC:END -->
`;

describe('Backlog.md reader', () => {
  it('reads one task from the front matter; acceptance criteria are its description, not tasks', () => {
    const parsed = readTasksText(TASK_FILE, { file: 'backlog/tasks/task-12 - Add-login.md' });
    assert.equal(parsed.format, 'backlog-md');
    assert.equal(parsed.name, 'Add login, with OAuth');
    assert.equal(parsed.tasks.length, 1);
    const [task] = parsed.tasks;
    assert.equal(task!.id, 'task-12');
    assert.equal(task!.title, 'Add login, with OAuth');
    assert.equal(task!.status, 'in_progress');
    assert.equal(task!.priority, 'high');
    assert.equal(task!.source?.line, 3);
    assert.equal(task!.description, TASK_FILE.slice(TASK_FILE.indexOf('## Description')).trimEnd());
    // Its dependencies are tasks of other files: said, not silently dropped.
    assert.deepEqual(task!.dependsOn, []);
    assert.deepEqual(
      parsed.problems.map((p) => [p.code, p.line]),
      [
        ['dependency-unresolved', 10],
        ['dependency-unresolved', 11],
      ],
    );
  });

  it('maps every status and reads flow lists; a file without a title still gives a task', () => {
    const statuses = { 'To Do': 'pending', 'In Progress': 'in_progress', Done: 'done', Blocked: 'pending' } as const;
    for (const [word, status] of Object.entries(statuses)) {
      const parsed = readTasksText(`---\nid: task-3\ntitle: "Three"\nstatus: ${word}\ndependencies: []\n---\nBody\n`, {
        file: 'backlog/tasks/task-3 - Three.md',
      });
      assert.equal(parsed.tasks[0]!.status, status, word);
      assert.deepEqual(parsed.problems, []);
    }
    const untitled = readTasksText('---\nstatus: To Do\n---\n\nJust text.\n', { file: 'backlog/tasks/task-9 - Nine.md' });
    assert.equal(untitled.tasks[0]!.title, 'task-9 - Nine');
    assert.equal(untitled.tasks[0]!.description, 'Just text.');
  });
});
