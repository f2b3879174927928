/**
 * Spec context in a task's prompt: a Kiro / cc-sdd task is sent with the text of the acceptance criteria it
 * cites and the relevant part of design.md; a spec-kit task with its feature's plan.md, spec.md,
 * data-model.md and contracts/. Within the prompt budget, read only inside the workspace.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildTaskPrompt } from '../../src/core/engine/prompt';
import { citedRequirementIds, parseRequirements } from '../../src/core/engine/kiroRequirements';
import { SpecContextCache } from '../../src/core/engine/specContext';
import type { Plan, Task } from '../../src/core/model/plan';
import { planSchema } from '../../src/core/model/plan';
import { planFromTasksFile } from '../../src/core/plan/buildPlan';
import type { SessionState } from '../../src/core/session/events';
import { useTempDirs } from '../support/processes';

const state = { tasks: {} } as unknown as SessionState;

const KIRO_REQUIREMENTS = `# Requirements Document

## Introduction
A command-line unit converter for cooking.

## Requirements

### Requirement 1: Convert quantities
**User Story:** As a cook, I want to convert a quantity between units, so that I can follow foreign recipes.

#### Acceptance Criteria
1. WHEN the user runs \`convert 100 g oz\` THEN the system SHALL print ounces with two decimals.
2. WHEN a unit is unknown THEN the system SHALL print \`unknown unit\` and exit with status 2.

### Requirement 2: Volumes
**User Story:** As a cook, I want volume conversions, so that I can measure liquids.

#### Acceptance Criteria
1. WHEN the user converts between cup and ml THEN the system SHALL use 1 cup = 236.588 ml.
2. WHEN the user converts mass to volume THEN the system SHALL refuse with \`cannot convert mass to volume\`.
`;

const KIRO_TASKS = `# Implementation Plan

- [ ] 1. Build the converter
  - [ ] 1.1 Add the volume table in \`units.py\`
    - _Requirements: 2.1_
  - [ ] 1.2 Reject unknown units
    - _Requirements: 1.2_
`;

describe('spec context in the prompt', () => {
  const dirs = useTempDirs('workspace');

  async function kiroSpec(files: Record<string, string>): Promise<{ plan: Plan; specDir: string }> {
    const specDir = path.join(dirs.workspace, '.kiro', 'specs', 'converter');
    await mkdir(specDir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      await writeFile(path.join(specDir, name), text);
    }
    const { plan } = await planFromTasksFile(path.join(specDir, 'tasks.md'), { workspaceRoot: dirs.workspace });
    return { plan, specDir };
  }

  function promptOf(plan: Plan, id: string, specDir: string, budgetChars?: number): Promise<string> {
    const task = plan.tasks.find((t) => t.id === id) as Task;
    assert.ok(task, `task ${id} is in the plan`);
    return buildTaskPrompt(task, { plan, state, workspace: dirs.workspace, sourceDir: specDir, ...(budgetChars ? { budgetChars } : {}) });
  }

  describe('Kiro and cc-sdd', () => {
    it('a task citing _Requirements: 2.1_ is sent that acceptance criterion and its user story, not the others', async () => {
      const { plan, specDir } = await kiroSpec({ 'requirements.md': KIRO_REQUIREMENTS, 'tasks.md': KIRO_TASKS });
      const prompt = await promptOf(plan, '1.1', specDir);
      assert.match(prompt, /1 cup = 236\.588 ml/);
      assert.match(prompt, /As a cook, I want volume conversions/);
      assert.match(prompt, /Requirement 2: Volumes/);
      assert.doesNotMatch(prompt, /cannot convert mass to volume/, 'criterion 2.2 is not cited');
      assert.doesNotMatch(prompt, /unknown unit/, 'requirement 1 is not cited');
    });

    it('a whole requirement (`2`) brings all its criteria; an id not in the file is named, not invented', async () => {
      const tasks = '# Plan\n\n- [ ] 1. Volumes\n  - _Requirements: 2, 3.1_\n';
      const { plan, specDir } = await kiroSpec({ 'requirements.md': KIRO_REQUIREMENTS, 'tasks.md': tasks });
      const prompt = await promptOf(plan, '1', specDir);
      assert.match(prompt, /- 2\.1 WHEN the user converts between cup and ml/);
      assert.match(prompt, /- 2\.2 WHEN the user converts mass to volume/);
      assert.match(prompt, /Cited but not found in \.kiro\/specs\/converter\/requirements\.md: 3\.1\./);
      assert.doesNotMatch(prompt, /unknown unit/);
    });

    it("the part of design.md about the task's files and title words; the overview when nothing matches", async () => {
      const design = [
        '# Design',
        '## Overview',
        'OVERVIEW-TEXT: a converter with a unit table.',
        '## Unit table',
        'UNITS-TEXT: `units.py` maps each unit to a dimension and a factor.',
        '## Error handling',
        'ERRORS-TEXT: unknown units exit with status 2.',
        '',
      ].join('\n');
      const tasks =
        '# Plan\n\n- [ ] 1. Add the volume table in `units.py`\n  - _Requirements: 2.1_\n- [ ] 2. Reject unknown units\n  - _Requirements: 1.2_\n- [ ] 3. Polish\n';
      const { plan, specDir } = await kiroSpec({ 'requirements.md': KIRO_REQUIREMENTS, 'design.md': design, 'tasks.md': tasks });
      const first = await promptOf(plan, '1', specDir);
      assert.match(first, /UNITS-TEXT/);
      assert.doesNotMatch(first, /ERRORS-TEXT|OVERVIEW-TEXT/);
      const second = await promptOf(plan, '2', specDir);
      assert.match(second, /ERRORS-TEXT/);
      assert.doesNotMatch(second, /UNITS-TEXT/);
      const third = await promptOf(plan, '3', specDir);
      assert.match(third, /the design overview/);
      assert.match(third, /OVERVIEW-TEXT/);
      assert.doesNotMatch(third, /UNITS-TEXT|ERRORS-TEXT/);
    });

    it('order: the task first, then the criteria, then the design, then references; a cut is noted', async () => {
      const design = `# Design\n\n## Unit table\n\n${'`units.py` holds the table. '.repeat(30)}\n\n${'More about the unit table.\n'.repeat(200)}`;
      const { plan, specDir } = await kiroSpec({ 'requirements.md': KIRO_REQUIREMENTS, 'design.md': design, 'tasks.md': KIRO_TASKS });
      const full = await promptOf(plan, '1.1', specDir);
      const order = ['# Task 1.1', '## Acceptance criteria', '## From the design'].map((marker) => full.indexOf(marker));
      assert.ok(
        order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)),
        `in order: ${order.join(', ')}`,
      );
      const short = await promptOf(plan, '1.1', specDir, 2_500);
      assert.ok(short.length <= 2_500, `within the budget: ${short.length}`);
      assert.match(short, /1 cup = 236\.588 ml/, 'the criteria fit');
      assert.match(short, /\(Spec context cut here to keep the prompt within 2500 characters; the rest is in \.kiro\/specs\/converter\/design\.md\.\)/);
    });

    it('a missing, unreadable or outside spec file is left out; the prompt is still built', async () => {
      const outside = path.join(dirs.workspace, '..', `outside-${path.basename(dirs.workspace)}.md`);
      await writeFile(outside, KIRO_REQUIREMENTS);
      try {
        const specDir = path.join(dirs.workspace, '.kiro', 'specs', 'converter');
        await mkdir(path.join(specDir, 'design.md'), { recursive: true }); // a folder, not a file
        await symlink(outside, path.join(specDir, 'requirements.md'));
        await writeFile(path.join(specDir, 'tasks.md'), KIRO_TASKS);
        const { plan } = await planFromTasksFile(path.join(specDir, 'tasks.md'), { workspaceRoot: dirs.workspace });
        const prompt = await promptOf(plan, '1.1', specDir);
        assert.match(prompt, /^# Task 1\.1: Add the volume table/);
        assert.doesNotMatch(prompt, /236\.588|Acceptance criteria|From the design/);
      } finally {
        await rm(outside, { force: true });
      }
    });

    it('a spec file is parsed once per run: the cache is used while its size and time stay, and read anew after', async () => {
      const { plan, specDir } = await kiroSpec({ 'requirements.md': KIRO_REQUIREMENTS, 'tasks.md': KIRO_TASKS });
      const task = plan.tasks.find((t) => t.id === '1.1')!;
      const specCache = new SpecContextCache();
      const build = (): Promise<string> => buildTaskPrompt(task, { plan, state, workspace: dirs.workspace, sourceDir: specDir, specCache });
      // A whole second: a file system keeps it exactly.
      const file = path.join(specDir, 'requirements.md');
      await utimes(file, 1_700_000_000, 1_700_000_000);
      assert.match(await build(), /236\.588/);
      // Same size, same modification time: the parsed file is used again without reading it.
      await writeFile(file, KIRO_REQUIREMENTS.replace('236.588', '999.999'));
      await utimes(file, 1_700_000_000, 1_700_000_000);
      assert.match(await build(), /236\.588/);
      // Another size: read again.
      await writeFile(file, KIRO_REQUIREMENTS.replace('236.588', '1234.5678'));
      assert.match(await build(), /1234\.5678/);
    });
  });

  describe('reading requirements.md', () => {
    it('Kiro: `### Requirement N` with a numbered Acceptance Criteria list', () => {
      const requirements = parseRequirements(KIRO_REQUIREMENTS);
      assert.deepEqual([...requirements.keys()], ['1', '2']);
      const two = requirements.get('2')!;
      assert.equal(two.heading, 'Requirement 2: Volumes');
      assert.match(two.story, /^\*\*User Story:\*\* As a cook, I want volume conversions/);
      assert.deepEqual(
        two.criteria.map((c) => c.number),
        [1, 2],
      );
      assert.match(two.criteria[0]!.text, /^WHEN the user converts between cup and ml THEN/);
    });

    it('cc-sdd in Japanese: `### 要件 1` / `### 要件2：…` with `#### 受け入れ基準`', () => {
      const text = [
        '# 要件ドキュメント',
        '## 要件',
        '### 要件 1: 設定の管理',
        '**目的:** 利用者として、設定を保存したい。',
        '#### 受け入れ基準',
        '1. When 設定を保存したとき、the App shall JSON に保存する',
        '2. When 起動したとき、the App shall 設定を読み込む',
        '### 要件2',
        '**ユーザーストーリー:** 利用者として、結果を見たい。',
        '#### 受け入れ基準（Acceptance Criteria）',
        '',
        '1. THE App SHALL 結果を表示する',
        '',
      ].join('\n');
      const requirements = parseRequirements(text);
      assert.deepEqual([...requirements.keys()], ['1', '2']);
      assert.equal(requirements.get('1')!.story, '**目的:** 利用者として、設定を保存したい。');
      assert.match(requirements.get('1')!.criteria[1]!.text, /設定を読み込む/);
      assert.match(requirements.get('2')!.criteria[0]!.text, /結果を表示する/);
    });

    it('explicit `1.3` numbers, in lists or one a line, with WHEN/THEN lines; other lists in the section do not count', () => {
      const text = [
        '### Requirement 1: Login',
        'As a user, I want to log in.',
        '#### Acceptance Criteria',
        '1.1 WHEN the password is right THEN the system SHALL open a session',
        '1.3 WHEN the password is wrong',
        '    THEN the system SHALL refuse',
        '#### Notes',
        '- not a criterion',
        '### Requirement 2: Logout',
        '#### Acceptance Criteria',
        '- 2.2 WHEN the user logs out THEN the system SHALL end the session',
        '',
      ].join('\n');
      const requirements = parseRequirements(text);
      const one = requirements.get('1')!;
      assert.deepEqual(
        one.criteria.map((c) => c.number),
        [1, 3],
      );
      assert.equal(one.criteria[1]!.text, '1.3 WHEN the password is wrong\nTHEN the system SHALL refuse');
      assert.equal(one.story, 'As a user, I want to log in.');
      assert.deepEqual(
        requirements.get('2')!.criteria.map((c) => c.number),
        [2],
      );
    });

    it('numbered headings without the word: `### 1. Overview`, when no heading says Requirement', () => {
      const requirements = parseRequirements(
        '## 1. Import\n#### Acceptance Criteria\n1. THE tool SHALL read CSV\n## 2 Export: files\n- THE tool SHALL write CSV\n',
      );
      assert.deepEqual([...requirements.keys()], ['1', '2']);
      assert.equal(requirements.get('2')!.criteria[0]!.text, 'THE tool SHALL write CSV');
    });

    it('reading stays linear: one requirement with many criteria, many requirements, long lines', () => {
      const many = (n: number): string =>
        `### Requirement 1: Big\n#### Acceptance Criteria\n${Array.from({ length: n }, (_, i) => `${i + 1}. WHEN ${'x'.repeat(i % 50)} THEN SHALL`).join('\n')}\n` +
        Array.from({ length: n }, (_, i) => `### Requirement ${i + 2}\n1.${i} WHEN y\n`).join('');
      const [small, large] = [many(2_000), many(8_000)];
      parseRequirements(small);
      const cpu = (text: string): number => {
        const best: number[] = [];
        for (let run = 0; run < 2; run++) {
          const start = process.cpuUsage();
          parseRequirements(text);
          const used = process.cpuUsage(start);
          best.push((used.user + used.system) / 1000);
        }
        return Math.min(...best);
      };
      const ratio = cpu(large) / Math.max(cpu(small), 1);
      assert.ok(ratio < 10, `4× the input took ${ratio.toFixed(1)}× the time (linear: about 4; quadratic: 16)`);
      assert.equal(parseRequirements(large).get('1')!.criteria.length, 8_000);
    });

    it('cited ids: requirements and validates, the "Requirements" prefix, ranges, and words that are no id', () => {
      assert.deepEqual(
        citedRequirementIds({ requirements: ['1.1', '2', 'All requirements need foundational setup', '3.1-3.3'], validates: ['Requirements 1.3', '1.1'] }),
        ['1.1', '2', '3.1', '3.2', '3.3', '1.3'],
      );
    });
  });

  describe('spec-kit', () => {
    it('a spec-kit task gets spec.md, plan.md, data-model.md and contracts/, never a file outside the workspace', async () => {
      const feature = path.join(dirs.workspace, 'specs', '001-albums');
      await mkdir(path.join(feature, 'contracts'), { recursive: true });
      await writeFile(path.join(feature, 'spec.md'), '# Feature Specification: Albums\nSPEC-TEXT\n');
      await writeFile(path.join(feature, 'plan.md'), '# Implementation Plan\nPLAN-TEXT with ``` inside\n');
      await writeFile(path.join(feature, 'data-model.md'), '# Data Model\nMODEL-TEXT\n');
      await writeFile(path.join(feature, 'contracts', 'albums.yaml'), 'openapi: 3.0.0 # CONTRACT-TEXT\n');
      const outside = path.join(dirs.workspace, '..', `secret-${path.basename(dirs.workspace)}.yaml`);
      await writeFile(outside, 'SECRET-OUTSIDE\n');
      try {
        await symlink(outside, path.join(feature, 'contracts', 'leak.yaml'));
        const plan = planSchema.parse({
          version: 1,
          name: 'Tasks',
          source: { path: 'specs/001-albums/tasks.md', format: 'spec-kit', sha256: '0'.repeat(64) },
          tasks: [{ id: 'T001', title: 'Create the album model' }],
        });
        const prompt = await buildTaskPrompt(plan.tasks[0]!, { plan, state, workspace: dirs.workspace, sourceDir: feature });
        const order = ['SPEC-TEXT', 'PLAN-TEXT', 'MODEL-TEXT', 'CONTRACT-TEXT'].map((marker) => prompt.indexOf(marker));
        assert.ok(
          order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)),
          `all four, in order: ${order.join(', ')}`,
        );
        assert.match(prompt, /## From the feature's spec: specs\/001-albums\/contracts\/albums\.yaml/);
        assert.match(prompt, /````\n# Implementation Plan/, "a fence longer than the file's own");
        assert.doesNotMatch(prompt, /SECRET-OUTSIDE/);
      } finally {
        await rm(outside, { force: true });
      }
    });

    it('over budget, a spec file is cut at a line with its fence closed and a note naming the files left', async () => {
      const feature = path.join(dirs.workspace, 'specs', '002-big');
      await mkdir(feature, { recursive: true });
      await writeFile(path.join(feature, 'spec.md'), `# Spec\n${'A line of the spec.\n'.repeat(400)}`);
      await writeFile(path.join(feature, 'plan.md'), '# Plan\nPLAN-TEXT\n');
      const plan = planSchema.parse({
        version: 1,
        name: 'Tasks',
        source: { path: 'specs/002-big/tasks.md', format: 'spec-kit', sha256: '0'.repeat(64) },
        tasks: [{ id: 'T001', title: 'Do it' }],
      });
      const prompt = await buildTaskPrompt(plan.tasks[0]!, { plan, state, workspace: dirs.workspace, sourceDir: feature, budgetChars: 3_000 });
      assert.ok(prompt.length <= 3_000, `within the budget: ${prompt.length}`);
      assert.match(prompt, /^# Task T001: Do it/);
      assert.match(
        prompt,
        /A line of the spec\.\n```\n\n\(Spec context cut here to keep the prompt within 3000 characters; the rest is in specs\/002-big\/spec\.md, specs\/002-big\/plan\.md\.\)$/,
      );
      assert.doesNotMatch(prompt, /PLAN-TEXT/);
    });

    it('a tasks.md of another format beside spec.md, or beside requirements.md, gets that spec too', async () => {
      const folder = path.join(dirs.workspace, 'feature');
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, 'requirements.md'), KIRO_REQUIREMENTS);
      const plan = planSchema.parse({
        version: 1,
        name: 'Tasks',
        source: { path: 'feature/tasks.md', format: 'checklist', sha256: '0'.repeat(64) },
        tasks: [{ id: '1', title: 'Volumes', requirements: ['2.1'] }],
      });
      const prompt = await buildTaskPrompt(plan.tasks[0]!, { plan, state, workspace: dirs.workspace, sourceDir: folder });
      assert.match(prompt, /- 2\.1 WHEN the user converts between cup and ml/);
      const other = path.join(dirs.workspace, 'other');
      await mkdir(other, { recursive: true });
      await writeFile(path.join(other, 'spec.md'), '# Spec\nSPEC-TEXT\n');
      const checklist = planSchema.parse({ ...plan, source: { ...plan.source, path: 'other/tasks.md' } });
      assert.match(await buildTaskPrompt(checklist.tasks[0]!, { plan: checklist, state, workspace: dirs.workspace, sourceDir: other }), /SPEC-TEXT/);
    });

    it('a plan that is not from a spec gets no spec context', async () => {
      await writeFile(path.join(dirs.workspace, 'requirements.md'), KIRO_REQUIREMENTS);
      const plan = planSchema.parse({ version: 1, name: 'p', tasks: [{ id: '1', title: 't', requirements: ['2.1'] }] });
      const prompt = await buildTaskPrompt(plan.tasks[0]!, { plan, state, workspace: dirs.workspace, sourceDir: dirs.workspace });
      assert.doesNotMatch(prompt, /236\.588/);
    });
  });
});
