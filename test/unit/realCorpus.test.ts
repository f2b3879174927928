/**
 * The corpus of real task files (test/fixtures/real/<case>/): each case holds a file copied from a public
 * repository (or a look-alike, said in its SOURCE), and a golden.json written by hand from reading it.
 * Every case must parse to its golden; the format of golden.json is in the issue 15 design (reading.md).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Task } from '../../src/core/model/plan';
import { planFromTasksFile } from '../../src/core/plan/buildPlan';
import { LOCAL_FIXTURES } from '../support/fixtures';

const REAL_CORPUS = path.join(LOCAL_FIXTURES, 'real');
const MIN_CASES = 40;

const goldenTaskSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    parent: z.string().nullable(),
    status: z.enum(['pending', 'in_progress', 'done', 'skipped']),
    dependsOn: z.array(z.string()),
    parallel: z.boolean(),
    story: z.string().nullable(),
    files: z.array(z.string()),
    // Compared only when the golden has them.
    references: z.array(z.string()).optional(),
    priority: z.enum(['critical', 'high', 'normal', 'low', 'background']).optional(),
    requirements: z.array(z.string()).optional(),
  })
  .strict();

const goldenSchema = z
  .object({
    file: z.string().min(1),
    format: z.string().min(1),
    name: z.string().optional(),
    tasks: z.array(goldenTaskSchema),
    /** Problem codes expected (errors and warnings), any order; absent means none. */
    warnings: z.array(z.string()).optional(),
  })
  .strict();
type Golden = z.infer<typeof goldenSchema>;
type GoldenTask = z.infer<typeof goldenTaskSchema>;

function corpusCases(): string[] {
  if (!existsSync(REAL_CORPUS)) {
    return [];
  }
  return readdirSync(REAL_CORPUS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(REAL_CORPUS, entry.name, 'golden.json')))
    .map((entry) => entry.name)
    .sort();
}

/** Titles may keep emphasis and backticks, and wrap differently: those never count as a difference. */
function normalTitle(title: string): string {
  return title.replace(/[*`]/g, '').replace(/\s+/g, ' ').trim();
}

/**
 * Goldens hold the whole title as written; ACA shortens one over MAX_TITLE_GRAPHEMES with "…" (the whole
 * text goes to the description), so a shortened title matches when it is the start of the golden's.
 */
function sameTitle(expected: string, actual: string): boolean {
  const want = normalTitle(expected);
  const got = normalTitle(actual);
  return want === got || (got.endsWith('…') && want.startsWith(got.slice(0, -1).trimEnd()));
}

const show = (value: unknown): string => JSON.stringify(value);

function sameSet(expected: readonly string[], actual: readonly string[]): boolean {
  const a = new Set(expected);
  const b = new Set(actual);
  return a.size === b.size && [...a].every((item) => b.has(item));
}

/** Every way one task differs from its golden, each naming the task id and the field. */
function taskDifferences(want: GoldenTask, got: Task): string[] {
  const out: string[] = [];
  const field = (name: string, expected: unknown, actual: unknown): void => {
    out.push(`${want.id}: ${name}: expected ${show(expected)}, got ${show(actual)}`);
  };
  if (!sameTitle(want.title, got.title)) field('title', want.title, got.title);
  if (want.parent !== got.parent) field('parent', want.parent, got.parent);
  if (want.status !== got.status) field('status', want.status, got.status);
  if (!sameSet(want.dependsOn, got.dependsOn)) field('dependsOn', want.dependsOn, got.dependsOn);
  if (want.parallel !== got.parallel) field('parallel', want.parallel, got.parallel);
  if (want.story !== got.story) field('story', want.story, got.story);
  if (!sameSet(want.files, got.files)) field('files', want.files, got.files);
  const references = got.references.filter((r) => r.found).map((r) => r.path);
  if (want.references !== undefined && !sameSet(want.references, references)) field('references', want.references, references);
  if (want.priority !== undefined && want.priority !== got.priority) field('priority', want.priority, got.priority);
  if (want.requirements !== undefined && !sameSet(want.requirements, got.requirements)) field('requirements', want.requirements, got.requirements);
  return out;
}

/** Ids in order first (a shifted list would otherwise report every task), then each task by id. */
function planDifferences(golden: Golden, tasks: readonly Task[], format: string | undefined, name: string, codes: readonly string[]): string[] {
  const out: string[] = [];
  if (golden.format !== format) out.push(`format: expected ${show(golden.format)}, got ${show(format)}`);
  if (golden.name !== undefined && golden.name !== name) out.push(`name: expected ${show(golden.name)}, got ${show(name)}`);
  const wantIds = golden.tasks.map((t) => t.id);
  const gotIds = tasks.map((t) => t.id);
  const missing = wantIds.filter((id) => !gotIds.includes(id));
  const extra = gotIds.filter((id) => !wantIds.includes(id));
  if (missing.length > 0) out.push(`tasks missing: ${missing.join(', ')}`);
  if (extra.length > 0) out.push(`tasks not in the golden: ${extra.join(', ')}`);
  if (missing.length === 0 && extra.length === 0) {
    const at = wantIds.findIndex((id, index) => gotIds[index] !== id);
    if (at >= 0) out.push(`task order differs at position ${at + 1}: expected ${wantIds[at]}, got ${gotIds[at]}`);
  }
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const want of golden.tasks) {
    const got = byId.get(want.id);
    if (got) out.push(...taskDifferences(want, got));
  }
  const wantCodes = golden.warnings ?? [];
  if (!sameSet(wantCodes, codes)) out.push(`problem codes: expected ${show([...new Set(wantCodes)].sort())}, got ${show([...new Set(codes)].sort())}`);
  return out;
}

describe('real task files corpus', () => {
  const cases = corpusCases();

  it(`holds at least ${MIN_CASES} cases`, () => {
    assert.ok(cases.length >= MIN_CASES, `${cases.length} cases with a golden.json in ${REAL_CORPUS}`);
  });

  for (const name of cases) {
    it(`${name} parses to its golden`, async () => {
      const caseDir = path.join(REAL_CORPUS, name);
      assert.ok(existsSync(path.join(caseDir, 'SOURCE')), `${name} has no SOURCE file (origin and licence)`);
      const golden = goldenSchema.parse(JSON.parse(readFileSync(path.join(caseDir, 'golden.json'), 'utf8')));
      const { plan, problems } = await planFromTasksFile(path.join(caseDir, golden.file), { workspaceRoot: caseDir });
      const codes = problems.map((p) => p.code);
      const differences = planDifferences(golden, plan.tasks, plan.source?.format, plan.name, codes);
      const problemLines = problems.slice(0, 10).map((p) => `  ${p.severity} ${p.code}${p.line !== undefined ? ` @${p.line}` : ''}: ${p.message}`);
      const shown = differences.slice(0, 40).join('\n') + (differences.length > 40 ? `\n… ${differences.length - 40} more` : '');
      if (differences.length > 0) {
        assert.fail(`${name}: ${differences.length} differences\n${shown}\nproblems (${problems.length}):\n${problemLines.join('\n')}`);
      }
    });
  }
});
