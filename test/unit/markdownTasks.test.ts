import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Task } from '../../src/core/model/plan';
import { splitAtHeadings } from '../../src/core/parse/markdownBlocks';
import { parseMarkdownTasks } from '../../src/core/parse/markdownTasks';
import { MAX_TITLE_GRAPHEMES } from '../../src/core/parse/taskText';
import { SEED_RESOURCES, SHARED_FIXTURES } from '../support/fixtures';

function parseFixture(relative: string): ReturnType<typeof parseMarkdownTasks> {
  return parseMarkdownTasks(readFileSync(path.join(SHARED_FIXTURES, relative), 'utf8'), { file: relative });
}

/** A compact, readable pin of a tree: `id [status] title ^parent @line`. */
function tree(tasks: readonly Task[]): string[] {
  const mark = { pending: ' ', in_progress: '-', done: 'x', skipped: 's' } as const;
  return tasks.map((t) => `${t.id} [${mark[t.status]}${t.optional ? '*' : ''}] ${t.title}${t.parent ? ` ^${t.parent}` : ''} @${t.source?.line}`);
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('markdown tasks parser', () => {
  it('parses every file in the shared fixtures without throwing', () => {
    const files = allFiles(SHARED_FIXTURES);
    assert.ok(files.length >= 25, `found ${files.length} fixture files`);
    for (const file of files) {
      const parsed = parseMarkdownTasks(readFileSync(file, 'utf8'), { file });
      assert.ok(parsed.tasks.length >= 1 || parsed.problems.length >= 1, `${file} gives tasks or says why not`);
    }
  });

  it('pins the Kiro spec: numbering as ids, [x], [ ]*, subtasks, requirements, checkpoint', () => {
    const { name, tasks } = parseFixture('kiro/tasks.md');
    assert.equal(name, 'Implementation Plan');
    assert.deepEqual(tree(tasks), [
      '1 [x] Create the unit table @3',
      '2 [ ] Implement the converter @7',
      '2.1 [ ] Parse `convert <qty> <from> <to>` in `convert.py` ^2 @8',
      '2.2 [ ] Reject unknown units and mixed dimensions ^2 @11',
      '2.3 [ *] Write property tests for round trips between units ^2 @14',
      '3 [ ] Write `test_convert.py` covering every acceptance criterion @17',
      '4 [ ] Checkpoint - ensure all tests pass, ask the user if questions arise. @20',
    ]);
    assert.deepEqual(
      tasks.map((t) => t.requirements),
      [['1.1', '2.1'], [], ['1.1'], ['1.2', '2.2'], ['1.1', '2.1'], ['1.1', '1.2', '2.1', '2.2'], []],
    );
    assert.equal(tasks[0]!.description, '- Write `units.py` with g, oz, cup and ml, each with its dimension and factor');
    assert.equal(tasks[2]!.description, '- Print the converted quantity with two decimals');
    assert.deepEqual(
      tasks.map((t) => t.checkpoint),
      [false, false, false, false, false, false, true],
    );
  });

  it('pins seed test4: five checkbox tasks under one section', () => {
    const { name, tasks } = parseMarkdownTasks(readFileSync(path.join(SEED_RESOURCES, 'test4-multi-task', 'tasks.md'), 'utf8'), { file: 'tasks.md' });
    assert.equal(name, 'Test 4: Multi-Task Execution');
    assert.deepEqual(tree(tasks), [
      '1 [ ] Create a Python script called `hello.py` that prints "Hello World" @7',
      '2 [ ] Create a JSON config file called `config.json` with API settings @8',
      '3 [ ] Write a shell script called `run.sh` that executes the Python script @9',
      '4 [ ] Create a `.gitignore` file with common Python patterns @10',
      '5 [ ] Generate a `requirements.txt` file with common dependencies @11',
    ]);
    assert.ok(tasks.every((t) => t.section.join() === 'Development Tasks'));
  });

  it('pins seed test5: `->` references, sections, and the single-task file', () => {
    const { tasks } = parseFixture('seed/tests/resources/test5-task-references/tasks.md');
    assert.equal(tasks.length, 10);
    assert.deepEqual(
      tasks.slice(0, 3).map((t) => [t.title, t.references.map((r) => r.path)]),
      [
        ['Implement user authentication system', ['auth_requirements.md']],
        ['Create database schema and migrations', ['database_schema.md']],
        ['Set up JWT token management system', []],
      ],
    );
    assert.deepEqual([...new Set(tasks.map((t) => t.section.join()))], ['Authentication System Tasks', 'Testing Tasks', 'Documentation Tasks']);
    assert.deepEqual(
      tasks.map((t) => t.source?.line),
      [7, 8, 9, 10, 11, 15, 16, 17, 21, 22],
    );
    const single = parseFixture('seed/tests/resources/test5-task-references/single_task.md');
    assert.deepEqual(tree(single.tasks), ['1 [ ] Create a basic user authentication module in Python @3']);
    assert.deepEqual(single.tasks[0]!.references, [{ path: 'auth_requirements.md', found: false }]);
  });

  it('pins seed test6: numbered headings are tasks with links, priorities and "task #N" dependencies', () => {
    const main = parseFixture('seed/tests/resources/test6-nested-complex-tasks/main-tasks.md');
    assert.equal(main.name, 'E-Commerce Platform Development - Phase 2');
    assert.deepEqual(
      main.tasks.map((t) => [t.id, t.title, t.priority, t.references.map((r) => r.path).join(), t.dependsOn.join(), t.source?.line]),
      [
        ['1', 'Advanced Search & Filtering System', 'high', 'search-system.md', '', 7],
        ['2', 'Payment Processing Integration', 'high', 'payment-integration.md', '', 22],
        ['3', 'Inventory Management System', 'high', 'inventory-system.md', '', 39],
        ['4', 'Recommendation Engine', 'normal', 'recommendation-engine.md', '1', 57],
        ['5', 'Order Management Workflow', 'normal', 'order-workflow.md', '', 71],
      ],
    );
    assert.match(main.tasks[0]!.description, /\*\*Success Criteria\*\*:\n- Search results returned in < 200ms\n- 95% search accuracy/);
    assert.ok(!main.tasks.some((t) => /Architecture Decisions/.test(t.description)), 'the notes section is no task');

    const deps = parseFixture('seed/tests/resources/test6-nested-complex-tasks/dependencies-test.md');
    assert.deepEqual(
      deps.tasks.map((t) => [t.id, t.title, t.dependsOn]),
      [
        ['1', 'Database Setup', []],
        ['2', 'API Server Implementation', ['1']],
        ['3', 'Frontend Application', ['2']],
        ['4', 'Integration Testing', ['2', '3']],
        ['5', 'Deployment', ['1', '2', '3', '4']],
      ],
    );
    for (const file of ['search-system.md', 'payment-integration.md']) {
      assert.ok(parseFixture(`seed/tests/resources/test6-nested-complex-tasks/${file}`).tasks.length > 0, `${file} parses to tasks`);
    }
  });

  it('pins the seed examples: mixed checkbox, bullet and numbered lists with priorities; a single-task spec', () => {
    const list = parseFixture('seed/examples/task-inputs/task_list.md');
    assert.deepEqual(
      list.tasks.map((t) => `${t.id} ${t.status} ${t.priority} ${t.title}${t.references.length ? ` -> ${t.references[0]!.path}` : ''}`),
      [
        '1 pending high Fix memory leak in data processor module -> ../references/memory_leak_analysis.md',
        '2 pending high Implement user registration endpoint',
        '3 pending high Add unit tests for payment processing',
        '4 done high Update API documentation',
        '5 pending normal Add logging to all service endpoints',
        '6 pending normal Optimize database queries in user service',
        '7 pending normal Implement caching for frequently accessed data -> ../references/caching_strategy.txt',
        '8 pending low Refactor authentication code',
        '9 pending low Update development environment setup',
        '10 pending low Add monitoring and alerting',
        '11 pending normal Update README with new installation steps',
        '12 pending normal Create troubleshooting guide',
        '13 pending normal Document API rate limiting rules',
      ],
    );
    const single = parseFixture('seed/examples/task-inputs/single_task.md');
    assert.deepEqual(tree(single.tasks), ['1 [ ] Authentication System Implementation @1']);
    assert.match(
      single.tasks[0]!.description,
      /^Implement a secure user authentication system[\s\S]*## Core Features\n- JWT token-based authentication[\s\S]*edge cases are properly handled\.$/,
    );
    for (const test of ['test1-simple-file/task.md', 'test2-readme-creation/task.md', 'test3-file-editing/task.md']) {
      const parsed = parseMarkdownTasks(readFileSync(path.join(SEED_RESOURCES, test), 'utf8'), { file: test });
      assert.equal(parsed.tasks.length, 1, `${test} is one task`);
    }
  });

  it('never makes tasks of code blocks, tables, HTML comments or prose', () => {
    const text = [
      '# Plan',
      '',
      'Some prose with - [ ] inside a sentence.',
      '',
      '```markdown',
      '- [ ] not a task: fenced',
      '```',
      '',
      '    - [ ] not a task: indented code',
      '',
      '| col | - [ ] cell |',
      '| --- | --- |',
      '| - [ ] row | x |',
      '',
      '<!-- - [ ] hidden -->',
      '',
      '> - [ ] quoted is not a task either',
      '',
      '- [ ] the only task',
    ].join('\n');
    const { tasks } = parseMarkdownTasks(text, { file: 't.md' });
    assert.deepEqual(tree(tasks), ['1 [ ] the only task @19']);
  });

  it('reads every checkbox form and list marker', () => {
    const text = [
      '- [ ] open',
      '- [x] done lower',
      '- [X] done upper',
      '- [-] in progress',
      '- [ ]* optional',
      '* [ ] star bullet',
      '+ [ ] plus bullet',
      '1. [ ] numbered',
      '2) [x] numbered paren',
    ].join('\n');
    const { tasks } = parseMarkdownTasks(text, { file: 't.md' });
    assert.deepEqual(
      tasks.map((t) => `${t.status}${t.optional ? '*' : ''} ${t.title}`),
      [
        'pending open',
        'done done lower',
        'done done upper',
        'in_progress in progress',
        'pending* optional',
        'pending star bullet',
        'pending plus bullet',
        'pending numbered',
        'done numbered paren',
      ],
    );
  });

  it('keeps unicode byte-exact and never cuts a long title inside a character', () => {
    const title = 'Traduire « Bonjour » — 「こんにちは」 👩‍💻 café';
    const { tasks } = parseMarkdownTasks(`- [ ] ${title}\n`, { file: 'u.md' });
    assert.equal(Buffer.compare(Buffer.from(tasks[0]!.title), Buffer.from(title)), 0);

    const long = '👩‍💻'.repeat(MAX_TITLE_GRAPHEMES + 20);
    const parsedLong = parseMarkdownTasks(`- [ ] ${long}\n`, { file: 'u.md' }).tasks[0]!;
    assert.ok(parsedLong.title.endsWith('…'));
    assert.equal(parsedLong.title.replace('…', '').replaceAll('👩‍💻', ''), '', 'only whole emoji sequences remain');
    assert.ok(parsedLong.description.startsWith(long), 'the full text is kept in the description');
  });

  it('uses plain sub-bullets and paragraphs as the description; headings set sections and priorities', () => {
    const text = [
      '# Project',
      '## Critical',
      '- [ ] Fix the crash',
      '  Details on a continuation line.',
      '  - check the logs',
      '  - [ ] Reproduce it',
      '  ```sh',
      '  make repro',
      '  ```',
      '## Background jobs',
      '- [ ] Tidy up',
      '## Notes',
      '- [ ] Plain',
    ].join('\n');
    const { name, tasks } = parseMarkdownTasks(text, { file: 'p.md' });
    assert.equal(name, 'Project');
    assert.deepEqual(
      tasks.map((t) => [t.id, t.title, t.priority, t.section.join('>'), t.parent]),
      [
        // A wrapped paragraph is one title (markdown joins its lines; the corpus goldens of issue 15 too).
        ['1', 'Fix the crash Details on a continuation line.', 'critical', 'Critical', null],
        ['1.1', 'Reproduce it', 'critical', 'Critical', '1'],
        // "Background jobs" merely contains a priority word (issue 15, kind 8): no priority.
        ['2', 'Tidy up', 'normal', 'Background jobs', null],
        ['3', 'Plain', 'normal', 'Notes', null],
      ],
    );
    assert.equal(tasks[0]!.description, '- check the logs\n```sh\nmake repro\n```');
  });

  it('reads markdown links and `->` references, ignoring web links and anchors', () => {
    const { tasks } = parseMarkdownTasks('- [ ] Do it, see [spec](docs/spec%20v2.md#part) and [site](https://example.com) and [here](#x) -> notes.txt\n', {
      file: 't.md',
    });
    assert.deepEqual(
      tasks[0]!.references.map((r) => r.path),
      ['notes.txt', 'docs/spec v2.md'],
    );
    // Titles show link text, not markdown (issue 15, "References").
    assert.equal(tasks[0]!.title, 'Do it, see spec and site and here');
  });

  it('gives the same ids and tasks for the same text (stable across re-parses)', () => {
    const text = readFileSync(path.join(SHARED_FIXTURES, 'kiro', 'tasks.md'), 'utf8');
    assert.deepEqual(parseMarkdownTasks(text, { file: 'a' }), parseMarkdownTasks(text, { file: 'a' }));
  });

  it('makes a plain text file one task, and says so when a file is empty', () => {
    const { tasks } = parseMarkdownTasks('Refactor the cache layer\nso that it uses LRU eviction.\n', { file: 'todo.txt' });
    assert.deepEqual(
      tasks.map((t) => [t.title, t.description]),
      [['Refactor the cache layer', 'so that it uses LRU eviction.']],
    );
    const empty = parseMarkdownTasks('\n\n', { file: 'empty.md' });
    assert.equal(empty.tasks.length, 0);
    assert.equal(empty.problems[0]?.code, 'file-empty');
  });
});

describe('markdown parsing of large files', () => {
  it('gives the same tasks whether a large file is parsed in chunks or whole', () => {
    const sections = Array.from({ length: 1500 }, (_, s) =>
      [
        `## Section ${s}`,
        '',
        `- [ ] Task ${s}`,
        '  - detail',
        '  - [x] Sub',
        '',
        '```',
        '# not a heading: in a fence',
        '- [ ] not a task',
        '```',
        '<!--',
        '# not a heading: in a comment',
        '-->',
        '',
      ].join('\n'),
    );
    const text = `# Big\n\n${sections.join('\n')}`;
    assert.ok(text.length > 128 * 1024, 'large enough to be chunked');
    const chunks = splitAtHeadings(text);
    assert.ok(chunks.length >= 2, `split into ${chunks.length} chunks`);
    assert.ok(chunks.every((c) => c.line === 0 || /^## Section \d+$/.test(c.text.split('\n')[0]!)));
    const chunked = parseMarkdownTasks(text, { file: 'big.md' });
    // A link reference definition makes the parser read the file whole: the same tasks either way.
    const whole = parseMarkdownTasks(`${text}\n[unused]: https://example.com\n`, { file: 'big.md' });
    assert.equal(chunked.tasks.length, 3000);
    assert.deepEqual(chunked.tasks, whole.tasks);
  });

  it('reads a large file the same when its first checkbox comes chunks after its start', () => {
    // Chunk by chunk, the blocks before the first checkbox are held and then read as one checklist.
    const prose = Array.from({ length: 1500 }, (_, s) => `## Notes ${s}\n\n- a plain bullet, not a task\n\nSome prose about it.\n`);
    const tasks = Array.from({ length: 1500 }, (_, s) => `## Part ${s}\n\n- [ ] ${s + 1}. Group ${s}\n- [x] ${s + 1}.1 Child, flat\n\nOwned text.\n`);
    const text = `# Big\n\n${prose.join('\n')}\n${tasks.join('\n')}`;
    assert.ok(splitAtHeadings(text).length >= 4);
    const chunked = parseMarkdownTasks(text, { file: 'big.md' });
    const whole = parseMarkdownTasks(`${text}\n[unused]: https://example.com\n`, { file: 'big.md' });
    assert.equal(chunked.name, 'Big');
    assert.equal(chunked.format, 'checklist');
    assert.equal(chunked.tasks.length, 3000);
    assert.deepEqual(chunked.tasks, whole.tasks);
    assert.deepEqual(chunked.problems, whole.problems);
  });

  it('ignores YAML front matter, keeping line numbers', () => {
    const { tasks } = parseMarkdownTasks('---\ntitle: Plan\ntags: [a]\n---\n# Plan\n\n- [ ] First\n', { file: 'f.md' });
    assert.deepEqual(
      tasks.map((t) => [t.title, t.source?.line, t.section]),
      [['First', 7, []]],
    );
  });
});

/** Each defect kind of issue 15 that concerns the general reader, on a small input modelled on the issue's. */
describe('issue 15: the task files people really write', () => {
  const parse = (...lines: string[]): ReturnType<typeof parseMarkdownTasks> => parseMarkdownTasks(lines.join('\n'), { file: 'tasks.md' });

  it('kind 1: with checkboxes, only checkboxes are tasks; other lists are description or prose', () => {
    const { tasks } = parse(
      '# Plan',
      '## Summary',
      '- **Passing**: 76 tests (100%)',
      '- **Failing**: 0',
      '## Tasks',
      '- [x] Set up the project',
      '- [ ] Write the parser',
      '',
      'Acceptance criteria:',
      '- reads headings',
      '## Notes',
      '- Keep it simple',
      '## Format',
      '- `[P]`: can run in parallel',
    );
    assert.deepEqual(tree(tasks), ['1 [x] Set up the project @6', '2 [ ] Write the parser @7']);
    assert.equal(tasks[1]!.description, 'Acceptance criteria:\n- reads headings');
  });

  it('kind 2: an arrow is a reference only when a path follows it', () => {
    const { tasks } = parse(
      '- [ ] Order the migrations: T030 → T031 → T032',
      '- [ ] Rename `is_collapsed` → `isCollapsed` in the store',
      '- [ ] Fix the leak -> docs/leak.md',
    );
    assert.deepEqual(
      tasks.map((t) => [t.title, t.references.map((r) => r.path)]),
      [
        ['Order the migrations: T030 → T031 → T032', []],
        ['Rename `is_collapsed` → `isCollapsed` in the store', []],
        ['Fix the leak', ['docs/leak.md']],
      ],
    );
  });

  it('kind 3: a task owns the code and paragraphs after its line, outside its list item', () => {
    const { tasks } = parse(
      '## Task 1: Parser',
      '',
      '- [ ] **Step 1: Write the failing test**',
      '',
      '```python',
      'def test_parse():',
      '    assert parse("x") == 1',
      '```',
      '',
      'Run it: `pytest -q`',
      '',
      '<task>',
      '  <verify>pytest</verify>',
      '</task>',
      '',
      '- [ ] **Step 2: Implement**',
    );
    assert.deepEqual(
      tasks.map((t) => t.title),
      ['Step 1: Write the failing test', 'Step 2: Implement'],
    );
    assert.equal(
      tasks[0]!.description,
      '```python\ndef test_parse():\n    assert parse("x") == 1\n```\n\nRun it: `pytest -q`\n\n<task>\n  <verify>pytest</verify>\n</task>',
    );
  });

  it('kind 4: numbering makes hierarchy at the same indentation; a group of done children is done', () => {
    const { tasks } = parse(
      '- [ ] 1. Set up',
      '  - Prepare the tools',
      '- [x] 1.1 Create the project',
      '- [x] 1.2 Add CI',
      '- [ ] 2. Build the core',
      '- [x] 2.1 Parser',
      '- [ ] 2.2 Writer',
    );
    assert.deepEqual(tree(tasks), [
      '1 [x] Set up @1',
      '1.1 [x] Create the project ^1 @3',
      '1.2 [x] Add CI ^1 @4',
      '2 [ ] Build the core @5',
      '2.1 [x] Parser ^2 @6',
      '2.2 [ ] Writer ^2 @7',
    ]);
    const marked = parse('- [x] 1. Marked done', '- [ ] 1.1 Still open');
    assert.equal(marked.tasks[0]!.status, 'in_progress', 'a [x] group with open children is in progress');
  });

  it('kind 5: dependencies from every syntax, resolved; an unknown one is a warning at its line', () => {
    const { tasks, problems } = parse(
      '## Phase 1: Setup',
      '- [ ] 1. Create the project',
      '- [ ] 2. Add the database (depends on 1)',
      '## Phase 2: Core',
      '- [ ] 3. Models',
      '  - _Depends: 1, 2_',
      '- [ ] 4. Services',
      '  - **Depends On**: 3',
      '- [ ] 5. API',
      '  - **Depends on**: Phase 1',
      '  - Blocked by: 4',
      '- [ ] 6. Docs',
      '  - _Dependencies: 9.9_',
    );
    assert.deepEqual(
      tasks.map((t) => [t.id, t.dependsOn]),
      [
        ['1', []],
        ['2', ['1']],
        ['3', ['1', '2']],
        ['4', ['3']],
        ['5', ['1', '2', '4']],
        ['6', []],
      ],
    );
    assert.equal(tasks[3]!.description, '', 'field lines stay out of the description');
    assert.deepEqual(
      problems.map((p) => [p.code, p.line, /9\.9/.test(p.message)]),
      [['dependency-unresolved', 13, true]],
    );
  });

  it('kind 7: paths named in a task line are its predicted files', () => {
    const { tasks } = parse(
      '- [ ] Create User model in src/models/user.py',
      '- [ ] Add scripts to `package.json` and write hello.py',
      '- [ ] Upgrade to Node.js 22 (e.g. v22.1.0), see https://nodejs.org/a.md',
    );
    assert.deepEqual(
      tasks.map((t) => t.files),
      [['src/models/user.py'], ['package.json', 'hello.py'], []],
    );
  });

  it('kind 8: priority only from headings that are a priority, and from priority fields', () => {
    const { tasks } = parse(
      '## Critical Paths',
      '- [ ] Map the login flow',
      '- [ ] Cache the session (Priority: P1)',
      '- [ ] Rotate keys',
      '  - _Priority: Critical_',
      '- [ ] Tidy logs',
      '  - **Priority**: Low',
      '## High Priority',
      '- [ ] Fix the crash',
    );
    assert.deepEqual(
      tasks.map((t) => [t.title, t.priority]),
      [
        ['Map the login flow', 'normal'],
        ['Cache the session', 'high'],
        ['Rotate keys', 'critical'],
        ['Tidy logs', 'low'],
        ['Fix the crash', 'high'],
      ],
    );
  });

  it('kind 9: Kiro variants: translated requirements, Validates, Final Checkpoint, [~]', () => {
    const { tasks } = parse(
      '- [~] 1. Crear el modelo',
      '  - _Requisitos: 1.1, 1.2_',
      '  - **Validates: Requirements 1.3, 1.4**',
      '- [ ] 2. Final Checkpoint',
      '  - Ensure all tests pass',
    );
    assert.deepEqual(
      tasks.map((t) => [t.id, t.title, t.status, t.requirements, t.validates, t.checkpoint]),
      [
        ['1', 'Crear el modelo', 'in_progress', ['1.1', '1.2'], ['1.3', '1.4'], false],
        ['2', 'Final Checkpoint', 'pending', [], [], true],
      ],
    );
  });
});
