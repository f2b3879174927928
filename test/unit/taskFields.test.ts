import assert from 'node:assert/strict';
import { headingPriority, isCheckpointTitle, readTitleLine, titleAsText } from '../../src/core/parse/taskFields';
import { priorityFromWord, readFieldLine, taskNumberMentions } from '../../src/core/parse/fieldLines';
import { pathArrow, pathsInLine } from '../../src/core/parse/taskPaths';

describe('task fields: title lines', () => {
  it('shows titles as text: link text, no bold markers; code spans and __init__.py stay', () => {
    assert.equal(titleAsText('**Phase 1: Foundation** - see [the spec](docs/spec.md)'), 'Phase 1: Foundation - see the spec');
    assert.equal(titleAsText('Fix `a**b` in __init__.py'), 'Fix `a**b` in __init__.py');
    assert.equal(titleAsText('2 ** 3 is odd'), '2 ** 3 is odd');
    assert.equal(readTitleLine('[ ] **Passing**: 76 tests').title, 'Passing: 76 tests');
  });

  it('a dot-file is a file, a bare extension is not; a task mentioned in passing is no dependency', () => {
    assert.deepEqual(pathsInLine('Write `.clang-format` and `config/.env`, check staged `.cpp` and `.env`'), ['.clang-format', 'config/.env', '.env']);
    assert.deepEqual(taskNumberMentions("Formalizes Task 2's verification: blocked at/above target"), []);
    assert.deepEqual(taskNumberMentions('a learner that failed Task 4 needs no blocked flag'), []);
    assert.deepEqual(taskNumberMentions('Requires API Server (task #2), after task 3'), ['task #2', 'task 3']);
  });

  it('strips the checkbox, spec-kit id, [P] and [US1], and reads them as fields', () => {
    const line = readTitleLine('[ ] T012 [P] [US1] Create User model in src/models/user.py');
    assert.equal(line.title, 'Create User model in src/models/user.py');
    assert.deepEqual([line.checkbox, line.id, line.parallel, line.story], [{ status: 'pending', optional: false }, 'T012', true, 'US1']);
    assert.deepEqual(line.files, ['src/models/user.py']);
  });

  it('reads the spec-kit heading layout and Kiro numbers, `[~]` and `[-]` as in progress', () => {
    assert.deepEqual(pick(readTitleLine('T001: [X] Set up the project')), ['Set up the project', 'T001', 'done']);
    assert.deepEqual(pick(readTitleLine('[~] 2.1 Parse the input')), ['Parse the input', '2.1', 'in_progress']);
    assert.deepEqual(pick(readTitleLine('[-]* 3. Optional work')), ['Optional work', '3', 'in_progress']);
    assert.deepEqual(pick(readTitleLine('Task 3: Wire the CLI')), ['Wire the CLI', '3', undefined]);
    assert.equal(readTitleLine('Step 2: Write the failing test').title, 'Step 2: Write the failing test');
  });

  it('reads cc-sdd (P), full-width clauses and wrapped fields at the end of the line', () => {
    const ccSdd = readTitleLine('[ ] 1.1 (P) Set up the project');
    assert.deepEqual([ccSdd.title, ccSdd.id, ccSdd.parallel], ['Set up the project', '1.1', true]);
    const zh = readTitleLine('5. 评论功能（depends on 3, 4）');
    assert.deepEqual([zh.title, zh.dependsOn], ['评论功能', ['3', '4']]);
    const wrapped = readTitleLine('Tidy README.md badges _Priority: Critical_');
    assert.deepEqual([wrapped.title, wrapped.fields], ['Tidy README.md badges', [{ kind: 'priority', priority: 'critical' }]]);
    assert.deepEqual(readFieldLine('- 依赖：1, 2'), { kind: 'dependsOn', values: ['1', '2'], listFollows: false });
  });

  it('reads trailing field clauses and leaves other parentheses', () => {
    const line = readTitleLine('T015 [US1] Implement UserService (depends on T012, T013) (Priority: P1)');
    assert.deepEqual([line.title, line.dependsOn, line.priority], ['Implement UserService', ['T012', 'T013'], 'high']);
    assert.deepEqual(readTitleLine('Run it (after T005)').dependsOn, ['T005']);
    const prose = readTitleLine('Log in (after login the token is kept)');
    assert.deepEqual([prose.title, prose.dependsOn], ['Log in (after login the token is kept)', []]);
  });

  it('takes an arrow only when a path follows it', () => {
    assert.deepEqual(
      [readTitleLine('Fix the leak -> ../refs/leak.md').title, readTitleLine('Fix the leak -> ../refs/leak.md').arrowTarget],
      ['Fix the leak', '../refs/leak.md'],
    );
    assert.equal(readTitleLine('Order: T030 → T031 → T032').title, 'Order: T030 → T031 → T032');
    assert.equal(readTitleLine('Rename `is_collapsed` → `isCollapsed`').arrowTarget, undefined);
    assert.equal(pathArrow('Do it -> `notes.txt`')?.target, 'notes.txt');
    assert.equal(pathArrow('a -> b c.md'), undefined);
  });

  it('shows links as their text', () => {
    assert.equal(readTitleLine('See [the spec](docs/spec.md) and [site](https://x.org)').title, 'See the spec and site');
  });
});

describe('task fields: paths', () => {
  it('finds paths, backticked names and source files; not versions, URLs, e.g. or Node.js', () => {
    assert.deepEqual(pathsInLine('Create `package.json`, hello.py and src/app/main.ts (see https://x.org/a.md, v1.2.3, e.g. Node.js)'), [
      'package.json',
      'hello.py',
      'src/app/main.ts',
    ]);
    assert.deepEqual(pathsInLine('Add a `.gitignore`, edit README.md and tests/test_x.py:12.'), ['.gitignore', 'README.md', 'tests/test_x.py']);
    assert.deepEqual(pathsInLine('Use and/or input/output, 1.2/3.4, `is_collapsed`, `obj.method()`, *.md and version 2.0'), []);
    assert.deepEqual(pathsInLine("Mock it to return `['src/foo.ts', 'b/c.md']` in `src/cli/vpn.rs::on_command()`, not `z.number().int()`"), [
      'src/foo.ts',
      'b/c.md',
      'src/cli/vpn.rs',
    ]);
    assert.deepEqual(pathsInLine('Modify: `scripts/start.sh:94,100`, `.gitignore:6` and `src/a.ts:12-40`'), ['scripts/start.sh', '.gitignore', 'src/a.ts']);
  });
});

describe('task fields: field lines', () => {
  it('reads requirements in Kiro’s languages and validates without the word "Requirements"', () => {
    assert.deepEqual(readFieldLine('- _Requirements: 1.1, 2.3_'), { kind: 'requirements', values: ['1.1', '2.3'] });
    assert.deepEqual(readFieldLine('  - _Requisitos: 1.2_'), { kind: 'requirements', values: ['1.2'] });
    assert.deepEqual(readFieldLine('_要件：3.1、3.2_'), { kind: 'requirements', values: ['3.1', '3.2'] });
    assert.deepEqual(readFieldLine('**Validates: Requirements 1.3, 1.4**'), { kind: 'validates', values: ['1.3', '1.4'] });
  });

  it('reads every dependency syntax, with None as none', () => {
    const values = (line: string): string[] | undefined => {
      const field = readFieldLine(line);
      return field?.kind === 'dependsOn' ? field.values : undefined;
    };
    assert.deepEqual(values('_Depends: 1.4, 1.5_'), ['1.4', '1.5']);
    assert.deepEqual(values('- _Dependencies: T001_'), ['T001']);
    assert.deepEqual(values('Depends on: T003 and T004'), ['T003', 'T004']);
    assert.deepEqual(values('**Depends On**: T003'), ['T003']);
    assert.deepEqual(values('**Depends on:** Phase 2'), ['Phase 2']);
    assert.deepEqual(values('**Dependencies**: None (starting point)'), []);
    assert.deepEqual(values('Blocked by: -'), []);
    assert.deepEqual(values('Requires: T002'), ['T002']);
    assert.equal(readFieldLine('Requires: Node 18 or later'), undefined, 'prose, not a dependency');
    assert.deepEqual(readFieldLine('**Dependencies**:'), { kind: 'dependsOn', values: [], listFollows: true });
    assert.deepEqual(taskNumberMentions('Requires both API Server (task #2) and Frontend (task #3)'), ['task #2', 'task #3']);
    assert.deepEqual(taskNumberMentions('- Depends on task 1 (`rfc1035`), after tasks #4, #5'), ['task 1', 'tasks #4', '#5']);
    assert.deepEqual(taskNumberMentions('See issue #2'), []);
  });

  it('reads priority, parallel, story and status fields', () => {
    assert.deepEqual(readFieldLine('_Priority: Critical_'), { kind: 'priority', priority: 'critical' });
    assert.deepEqual(readFieldLine('**Priority**: High'), { kind: 'priority', priority: 'high' });
    assert.deepEqual(readFieldLine('**Parallel**: Yes'), { kind: 'parallel', parallel: true });
    assert.deepEqual(readFieldLine('**Story**: US1'), { kind: 'story', story: 'US1' });
    assert.deepEqual(readFieldLine('**Status**: Complete'), { kind: 'status', value: 'Complete' });
    assert.equal(readFieldLine('Note: this is prose'), undefined);
  });
});

describe('task fields: priorities', () => {
  it('maps priority words', () => {
    assert.deepEqual(['P0', 'P1', 'p2', 'P3', 'P4', 'Critical', 'high', 'Medium', 'Normal', 'Low', 'soon'].map(priorityFromWord), [
      'critical',
      'high',
      'normal',
      'low',
      'background',
      'critical',
      'high',
      'normal',
      'normal',
      'low',
      undefined,
    ]);
  });

  it('knows a heading that is a priority from one that contains the word', () => {
    const headings = [
      'High Priority',
      'High Priority Tasks',
      'High Priority: Core Features',
      'P1',
      'P1 - Must have',
      'Priority: High',
      'Critical',
      '🔴 Low',
      'Critical Paths',
      'Low-level design',
      'Background jobs',
      'Highlights',
    ];
    assert.deepEqual(headings.map(headingPriority), [
      'high',
      'high',
      'high',
      'high',
      'high',
      'high',
      'critical',
      'low',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('knows checkpoints', () => {
    assert.deepEqual(['Checkpoint - ensure tests pass', 'Final Checkpoint', '**Checkpoint**: review', 'Add checkpoints'].map(isCheckpointTitle), [
      true,
      true,
      true,
      false,
    ]);
  });
});

function pick(line: ReturnType<typeof readTitleLine>): unknown[] {
  return [line.title, line.id, line.checkbox?.status];
}
