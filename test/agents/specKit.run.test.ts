/**
 * A spec-kit feature folder end to end: the built `aca` reads specs/001-greetings/tasks.md (two phases,
 * [P] tasks, an explicit dependency on a later task), runs it with the real `claude` CLI against the
 * scripted model server, in dependency order, and writes the checkboxes back.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planSchema } from '../../src/core/model/plan';
import { anthropicPrompt, ModelServer } from '../support/modelServer';
import { parseJsonLines, runAca, scriptedClaudeEnv, useTempDirs } from '../support/processes';

const FEATURE = 'specs/001-greetings';

const TASKS_MD = `# Tasks: Greetings

**Input**: Design documents from \`/specs/001-greetings/\`

## Format: \`[ID] [P?] [Story] Description\`

- **[P]**: Can run in parallel (different files, no dependencies)

## Phase 1: Setup

- [ ] T001 [P] Create the greeting module in src/greet.py
- [ ] T002 [P] Create the farewell module in src/farewell.py

## Phase 2: User Story 1 - Greet by name (Priority: P1)

- [ ] T003 [US1] Wire both modules into src/cli.py (depends on T004)
- [ ] T004 [US1] Add the name parser in src/names.py

## Notes

- [P] tasks = different files
`;

describe('aca run with a spec-kit feature folder (real claude CLI)', function () {
  this.timeout(180_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  const claudeEnv = (): Record<string, string> => scriptedClaudeEnv(server!.baseUrl);

  it('runs the tasks in dependency order, marks [P] tasks parallel-safe, writes [X] back', async () => {
    const feature = path.join(dirs.workspace, FEATURE);
    await mkdir(feature, { recursive: true });
    await writeFile(path.join(feature, 'spec.md'), '# Feature Specification: Greetings\n\nUsers are greeted by name.\n');
    await writeFile(path.join(feature, 'plan.md'), '# Implementation Plan: Greetings\n\nPython 3, no dependencies.\n');
    const tasksFile = path.join(feature, 'tasks.md');
    await writeFile(tasksFile, TASKS_MD);
    const aca = (args: string[]) =>
      runAca([...args, '-w', dirs.workspace], { workspace: dirs.workspace, home: dirs.home, env: claudeEnv(), timeoutMs: 150_000 });
    server = await ModelServer.start({ turns: [], whenExhausted: { type: 'text', text: 'Done.' } });

    // The plan: spec-kit ids, phases as ordered groups, [P] as parallel-safe, the explicit dependency.
    const dry = await aca(['run', `${FEATURE}/tasks.md`, '--dry-run', '--dump-plan', 'plan.json']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    const plan = planSchema.parse(JSON.parse(await readFile(path.join(dirs.workspace, 'plan.json'), 'utf8')));
    assert.equal(plan.source?.format, 'spec-kit');
    const byId = new Map(plan.tasks.map((t) => [t.id, t]));
    assert.deepEqual(
      plan.tasks.map((t) => t.id),
      ['phase-1', 'T001', 'T002', 'phase-2', 'T003', 'T004'],
    );
    assert.deepEqual(
      plan.tasks.filter((t) => t.parallel).map((t) => t.id),
      ['T001', 'T002'],
    );
    assert.deepEqual(byId.get('phase-2')!.dependsOn, ['phase-1']);
    assert.deepEqual(byId.get('T003')!.dependsOn, ['T004']);
    assert.equal(byId.get('T003')!.story, 'US1');
    assert.equal(byId.get('T003')!.title, 'Wire both modules into src/cli.py');
    assert.equal(server.modelRequests.length, 0, 'a dry run asks no model');

    const run = await aca(['run', `${FEATURE}/tasks.md`, '--provider', 'claude-code', '--model', 'claude-sonnet-4-5', '--write-back', '--json']);
    assert.equal(run.exitCode, 0, `exit ${run.exitCode}\nstderr:\n${run.stderr.slice(-3000)}`);

    // The order the agent was asked in: each prompt opens with its task's heading.
    const asked: string[] = [];
    for (const request of server.modelRequests) {
      const id = /^# Task (T\d+)\b/.exec(anthropicPrompt(request) ?? '')?.[1];
      if (id && !asked.includes(id)) {
        asked.push(id);
      }
    }
    assert.deepEqual([...asked].sort(), ['T001', 'T002', 'T003', 'T004'], asked.join(' '));
    const at = (id: string): number => asked.indexOf(id);
    assert.ok(Math.max(at('T001'), at('T002')) < Math.min(at('T003'), at('T004')), `phase 1 before phase 2: ${asked.join(' ')}`);
    assert.ok(at('T004') < at('T003'), `T003 waits for T004, written after it: ${asked.join(' ')}`);
    const done = parseJsonLines(run.stdout)
      .filter((e) => e['type'] === 'task_done')
      .map((e) => String(e['taskId']));
    assert.ok(done.indexOf('T004') < done.indexOf('T003') && done.includes('T001') && done.includes('T002'), done.join(' '));

    // Write-back: each task's checkbox is checked the way spec-kit writes it ([X]), nothing else changed.
    const after = await readFile(tasksFile, 'utf8');
    for (const id of ['T001', 'T002', 'T003', 'T004']) {
      assert.match(after, new RegExp(`^- \\[X\\] ${id} `, 'm'), id);
    }
    assert.equal(after.replace(/^- \[X\] T/gm, '- [ ] T'), TASKS_MD, 'only the checkboxes changed');
  });
});
