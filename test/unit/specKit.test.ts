import assert from 'node:assert/strict';
import type { Task } from '../../src/core/model/plan';
import { readTasksText } from '../../src/core/parse/readTasks';

/** `id [status] title ^parent <deps> {P} {story}`: a compact pin of what a reader made. */
function tree(tasks: readonly Task[]): string[] {
  const mark = { pending: ' ', in_progress: '-', done: 'x', skipped: 's' } as const;
  return tasks.map((t) =>
    [
      `${t.id} [${mark[t.status]}] ${t.title}`,
      t.parent ? `^${t.parent}` : '',
      t.dependsOn.length ? `<${t.dependsOn.join(',')}` : '',
      t.parallel ? '{P}' : '',
      t.story ? `{${t.story}}` : '',
    ]
      .filter(Boolean)
      .join(' '),
  );
}

function byId(tasks: readonly Task[], id: string): Task {
  const task = tasks.find((t) => t.id === id);
  assert.ok(task, `no task ${id} in ${tasks.map((t) => t.id).join(', ')}`);
  return task;
}

/** The checkbox layout of spec-kit's tasks template, as `/speckit.tasks` writes it. */
const CHECKBOX_LAYOUT = `# Tasks: Photo Albums

**Input**: Design documents from \`/specs/001-photo-albums/\`
**Prerequisites**: plan.md (required), spec.md

## Format: \`[ID] [P?] [Story] Description\`

- **[P]**: Can run in parallel (different files, no dependencies)
- **[Story]**: Which user story this task belongs to (e.g., US1, US2, US3)

## Phase 1: Setup (Shared Infrastructure)

**Purpose**: Project initialization

- [x] T001 Create project structure per implementation plan
- [X] T002 [P] Initialize Python project with FastAPI in pyproject.toml
- [x] T003 [P] Configure linting in \`.ruff.toml\`

---

## Phase 2: Foundational (Blocking Prerequisites)

- [ ] T004 Set up the database schema in src/db/schema.sql
  - one table per entity
  - migrations with alembic

\`\`\`sql
CREATE TABLE albums (id INTEGER PRIMARY KEY);
\`\`\`

**Checkpoint**: Foundation ready

## Phase 3: User Story 1 - Create albums (Priority: P1) 🎯 MVP

### Tests for User Story 1

- [ ] T010 [P] [US1] Contract test for POST /albums in tests/contract/test_albums.py

### Implementation for User Story 1

- [ ] T012 [P] [US1] Create Album model in src/models/album.py
- [ ] T013 [P] [US1] Create Photo model in src/models/photo.py
- [ ] T014 [US1] Implement AlbumService in src/services/album_service.py (depends on T012, T013)
- [ ] T015 [US1] Wire the endpoint → T030 → T031 in the router
  - **Depends on**: Phase 2

## Dependencies & Execution Order

- **Setup (Phase 1)**: No dependencies - can start immediately
- T012 → T014 → T015

## Parallel Example: User Story 1

\`\`\`bash
Task: "T012 Create Album model in src/models/album.py"
\`\`\`

## Notes

- [P] tasks = different files, no dependencies
- Commit after each task
`;

/** The heading layout some spec-kit projects use: one heading per task, bold fields under it. */
const HEADING_LAYOUT = `# Tasks: Search

## Phase 3.1: Setup

### T001: [X] Initialize the project
**Depends On**: None
**Parallel**: No
**Files**: \`package.json\`, \`tsconfig.json\`
**Status**: Complete

Create the npm project and the TypeScript config.

### T002 [P] Configure the linter
**Depends On**: T001
**Parallel**: Yes

## Phase 3.2: Core

### T003: Index documents
**Depends On**: Phase 3.1
**Story**: US2
**Files**: src/index/indexer.ts

Walk the corpus and build the inverted index.

#### Edge cases
- empty documents

### T004: Query the index
**Dependencies**: T003, T099
`;

describe('spec-kit reader', () => {
  it('a phase stands under the headings above it, not under the subsection of its first task', () => {
    const { tasks } = readTasksText(CHECKBOX_LAYOUT, { file: 'specs/001-photo-albums/tasks.md' });
    assert.deepEqual(byId(tasks, 'phase-3').section, []);
    assert.deepEqual(byId(tasks, 'T010').section, ['Phase 3: User Story 1 - Create albums (Priority: P1) 🎯 MVP', 'Tests for User Story 1']);
  });

  it('reads the checkbox layout: T ids, [P], [US1], phases in order, explicit dependencies (defect 6)', () => {
    const parsed = readTasksText(CHECKBOX_LAYOUT, { file: 'specs/001-photo-albums/tasks.md' });
    assert.equal(parsed.format, 'spec-kit');
    assert.equal(parsed.name, 'Tasks: Photo Albums');
    assert.deepEqual(tree(parsed.tasks), [
      'phase-1 [x] Phase 1: Setup (Shared Infrastructure)',
      'T001 [x] Create project structure per implementation plan ^phase-1',
      'T002 [x] Initialize Python project with FastAPI in pyproject.toml ^phase-1 {P}',
      'T003 [x] Configure linting in `.ruff.toml` ^phase-1 {P}',
      'phase-2 [ ] Phase 2: Foundational (Blocking Prerequisites) <phase-1',
      'T004 [ ] Set up the database schema in src/db/schema.sql ^phase-2',
      'phase-3 [ ] Phase 3: User Story 1 - Create albums (Priority: P1) 🎯 MVP <phase-2',
      'T010 [ ] Contract test for POST /albums in tests/contract/test_albums.py ^phase-3 {P} {US1}',
      'T012 [ ] Create Album model in src/models/album.py ^phase-3 {P} {US1}',
      'T013 [ ] Create Photo model in src/models/photo.py ^phase-3 {P} {US1}',
      'T014 [ ] Implement AlbumService in src/services/album_service.py ^phase-3 <T012,T013 {US1}',
      'T015 [ ] Wire the endpoint → T030 → T031 in the router ^phase-3 <phase-2 {US1}',
    ]);
    // phase 1 is done although its own heading has no marker: all of its tasks are.
    assert.equal(byId(parsed.tasks, 'phase-1').status, 'done');
    assert.deepEqual(byId(parsed.tasks, 'T002').files, ['pyproject.toml']);
    assert.deepEqual(byId(parsed.tasks, 'T003').files, ['.ruff.toml']);
    assert.deepEqual(byId(parsed.tasks, 'T010').files, ['tests/contract/test_albums.py']);
    assert.deepEqual(byId(parsed.tasks, 'T014').files, ['src/services/album_service.py']);
    assert.deepEqual(byId(parsed.tasks, 'T015').references, [], 'an arrow before prose is no reference');
    assert.equal(byId(parsed.tasks, 'T012').priority, 'high', '(Priority: P1) on the phase');
    // What follows a task up to the next task or heading is its description, byte-exact; fields are not.
    assert.equal(
      byId(parsed.tasks, 'T004').description,
      '- one table per entity\n- migrations with alembic\n\n```sql\nCREATE TABLE albums (id INTEGER PRIMARY KEY);\n```\n\n**Checkpoint**: Foundation ready',
    );
    assert.equal(byId(parsed.tasks, 'T015').description, '');
    assert.equal(byId(parsed.tasks, 'T003').description, '', 'a rule between phases belongs to nobody');
    assert.deepEqual(parsed.problems, []);
  });

  it('reads the heading layout: ### T001: [X] with bold fields; unresolved dependencies are warnings (defect 6)', () => {
    const parsed = readTasksText(HEADING_LAYOUT, { file: 'tasks.md' });
    assert.equal(parsed.format, 'spec-kit');
    assert.deepEqual(tree(parsed.tasks), [
      'phase-3.1 [ ] Phase 3.1: Setup',
      'T001 [x] Initialize the project ^phase-3.1',
      'T002 [ ] Configure the linter ^phase-3.1 <T001 {P}',
      'phase-3.2 [ ] Phase 3.2: Core <phase-3.1',
      'T003 [ ] Index documents ^phase-3.2 <phase-3.1 {US2}',
      'T004 [ ] Query the index ^phase-3.2 <T003',
    ]);
    assert.deepEqual(byId(parsed.tasks, 'T001').files, ['package.json', 'tsconfig.json']);
    assert.equal(byId(parsed.tasks, 'T001').description, 'Create the npm project and the TypeScript config.');
    assert.deepEqual(byId(parsed.tasks, 'T003').files, ['src/index/indexer.ts']);
    assert.equal(byId(parsed.tasks, 'T003').description, 'Walk the corpus and build the inverted index.\n\n#### Edge cases\n- empty documents');
    assert.deepEqual(
      parsed.problems.map((p) => [p.code, p.line, p.message.includes('T099')]),
      [['dependency-unresolved', 30, true]],
    );
    assert.equal(byId(parsed.tasks, 'T001').source?.line, 5);
  });

  it('reads **Status** fields and a [P] in the heading; a checkbox under a heading task is its description', () => {
    const text = '## Phase 1: Setup\n\n### T001 [P] Scaffold\n**Status**: ✅ Done\n\n- [ ] builds\n- [ ] lints\n\n### T002 - Second\n**Status**: In Progress\n';
    const parsed = readTasksText(text, { file: 'tasks.md' });
    assert.deepEqual(tree(parsed.tasks), ['phase-1 [ ] Phase 1: Setup', 'T001 [x] Scaffold ^phase-1 {P}', 'T002 [-] Second ^phase-1']);
    assert.equal(byId(parsed.tasks, 'T001').description, '- [ ] builds\n- [ ] lints');
  });

  it('keeps tasks outside any phase at the top level, and nested checkboxes as subtasks', () => {
    const text = '# Tasks\n\n- [ ] T001 Alone\n\n## Phase 1: Work\n\n- [x] T002 Group\n  - [x] T003 Child one\n  - [x] Child two\n- [ ] T001 Duplicate id\n';
    const parsed = readTasksText(text, { file: 'tasks.md' });
    assert.deepEqual(tree(parsed.tasks), [
      'T001 [ ] Alone',
      'phase-1 [ ] Phase 1: Work',
      'T002 [x] Group ^phase-1',
      'T003 [x] Child one ^T002',
      'T002.2 [x] Child two ^T002',
      'T001-2 [ ] Duplicate id ^phase-1',
    ]);
    // Phase 1 has the first task before it, not a phase: it depends on nothing.
    assert.deepEqual(byId(parsed.tasks, 'phase-1').dependsOn, []);
  });
});

describe('spec-kit reader, ids', () => {
  it('keeps dotted ids (T041.1) as written, beside their task, under the phase', () => {
    const parsed = readTasksText('## Phase 3: Core\n\n- [x] T041 Daemon entry point\n- [x] T041.1 Detect the locale\n- [ ] T042 Next (depends on T041.1)\n', {
      file: 'tasks.md',
    });
    assert.deepEqual(tree(parsed.tasks), [
      'phase-3 [ ] Phase 3: Core',
      'T041 [x] Daemon entry point ^phase-3',
      'T041.1 [x] Detect the locale ^phase-3',
      'T042 [ ] Next ^phase-3 <T041.1',
    ]);
  });
});
