/**
 * LLM analysis, on request: a model refines a parsed plan (hierarchy, dependencies, priority, complexity,
 * strategy). The model may only change those fields of tasks that exist; its answer is JSON validated by
 * a schema derived from the plan schema, extracted tolerantly (code fences, prose around it), retried once
 * with the validation errors, and cached by content hash. The result must pass the full plan validation.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { assertRealPathInside, writeFileSafely } from '../common/safeWrite';
import { readRegularFile } from '../common/untrustedFile';
import { complexityValues, planSchema, priorityValues, strategyModeValues, strategySchema, type Plan } from '../model/plan';
import { validatePlan } from './planFile';
import { fieldPath, formatProblem, PlanError, type Problem } from '../model/problems';
import { parentsFirst } from '../tasks/graph';

/** The provider port analysis needs: one prompt in, one answer out. */
export interface CompletionPort {
  /** Identifies provider and model in the cache key, e.g. `claude-code:claude-sonnet-4-5`. */
  readonly id: string;
  complete(request: CompletionRequest): Promise<CompletionAnswer>;
}

export interface CompletionRequest {
  readonly prompt: string;
  /** JSON Schema the answer must satisfy (providers that can enforce it do). */
  readonly schema: Record<string, unknown>;
  readonly signal?: AbortSignal;
}

export interface CompletionAnswer {
  /** Structured output when the provider enforces the schema. */
  readonly structured?: unknown;
  /** The model's final text (where JSON is looked for when there is no structured output). */
  readonly text: string;
}

export interface AnalysisCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

export interface AnalyzeOptions {
  readonly port: CompletionPort;
  /** `--context` hints from the user. */
  readonly hints?: readonly string[];
  /** Reference contents by task id, already bounded. */
  readonly referenceContext?: ReadonlyMap<string, string>;
  readonly cache?: AnalysisCache;
  readonly signal?: AbortSignal;
  /** Where problems are said to be (the model's answer, for the user). */
  readonly answerName?: string;
}

export interface AnalysisResult {
  readonly plan: Plan;
  readonly attempts: number;
  readonly cached: boolean;
}

/**
 * Answer fields a model may set, built from the plan's own value schemas. No defaults: a field the model
 * leaves out keeps the plan's value instead of being reset.
 */
export const analysisAnswerSchema = z.object({
  strategy: z.object({ mode: strategyModeValues.optional(), maxConcurrent: strategySchema.shape.maxConcurrent.unwrap().optional() }).optional(),
  tasks: z.array(
    z.object({
      id: z.string().min(1),
      parent: z.string().min(1).nullable().optional(),
      dependsOn: z.array(z.string().min(1)).optional(),
      priority: priorityValues.optional(),
      complexity: complexityValues.nullable().optional(),
    }),
  ),
});
export type AnalysisAnswer = z.infer<typeof analysisAnswerSchema>;

export class AnalysisError extends Error {
  readonly reason = 'analysis-failed' as const;

  constructor(
    message: string,
    readonly problems: readonly Problem[],
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'AnalysisError';
  }

  static is(error: unknown): error is AnalysisError {
    return error instanceof Error && (error as Partial<AnalysisError>).reason === 'analysis-failed';
  }
}

export async function analyzePlan(plan: Plan, options: AnalyzeOptions): Promise<AnalysisResult> {
  const answerName = options.answerName ?? `the answer of ${options.port.id}`;
  // Draft 7: Claude Code silently drops its StructuredOutput tool for a draft 2020-12 schema.
  const schema = z.toJSONSchema(analysisAnswerSchema, { target: 'draft-7' }) as Record<string, unknown>;
  const prompt = buildAnalysisPrompt(plan, options.hints ?? [], options.referenceContext ?? new Map());
  const key = createHash('sha256').update(`${options.port.id}\n${prompt}`).digest('hex');

  const cachedAnswer = await options.cache?.get(key);
  if (cachedAnswer !== undefined) {
    try {
      return { plan: applyAnalysis(plan, cachedAnswer, answerName), attempts: 0, cached: true };
    } catch {
      // A stale or corrupt cache entry is ignored: ask the model again.
    }
  }

  let problems: readonly Problem[] = [];
  let request = prompt;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const answer = await options.port.complete({ prompt: request, schema, ...(options.signal ? { signal: options.signal } : {}) });
    try {
      const data = answer.structured ?? extractJson(answer.text, answerName);
      const refined = applyAnalysis(plan, data, answerName);
      await options.cache?.set(key, data);
      return { plan: refined, attempts: attempt, cached: false };
    } catch (error) {
      if (!PlanError.is(error)) {
        throw error;
      }
      problems = error.problems;
      request = `${prompt}\n\nYour previous answer was rejected:\n${problems.map((p) => `- ${p.field ? `${p.field}: ` : ''}${p.message}`).join('\n')}\nAnswer again with JSON that fixes these problems.`;
    }
  }
  throw new AnalysisError(`The model's analysis was invalid twice; the plan is unchanged.\n${problems.map(formatProblem).join('\n')}`, problems, 2);
}

/** Applies an answer to a plan; throws PlanError naming what is wrong with the answer. */
export function applyAnalysis(plan: Plan, data: unknown, answerName: string): Plan {
  const parsed = analysisAnswerSchema.safeParse(data);
  if (!parsed.success) {
    throw new PlanError(
      parsed.error.issues.map((issue) => ({
        severity: 'error',
        code: 'analysis-invalid',
        message: issue.message,
        file: answerName,
        field: fieldPath(issue.path),
      })),
    );
  }
  const tasks = plan.tasks.map((t) => structuredClone(t));
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const unknown = parsed.data.tasks.flatMap((answered, index) =>
    byId.has(answered.id)
      ? []
      : [
          {
            severity: 'error' as const,
            code: 'analysis-unknown-task',
            message: `names task "${answered.id}", which is not in the plan`,
            file: answerName,
            field: `tasks[${index}].id`,
          },
        ],
  );
  if (unknown.length > 0) {
    throw new PlanError(unknown);
  }
  for (const answered of parsed.data.tasks) {
    const task = byId.get(answered.id);
    if (!task) {
      continue; // unknown ids were refused above
    }
    if (answered.parent !== undefined) task.parent = answered.parent;
    if (answered.dependsOn !== undefined) task.dependsOn = [...new Set(answered.dependsOn)];
    if (answered.priority !== undefined) task.priority = answered.priority;
    if (answered.complexity !== undefined) task.complexity = answered.complexity;
  }
  const strategy = { ...plan.strategy };
  if (parsed.data.strategy?.mode !== undefined) strategy.mode = parsed.data.strategy.mode;
  if (parsed.data.strategy?.maxConcurrent !== undefined) strategy.maxConcurrent = parsed.data.strategy.maxConcurrent;
  const refined = { ...plan, strategy, tasks: parentsFirst(tasks) };
  return validatePlan(planSchema.parse(refined), answerName);
}

/**
 * Finds the JSON object in a model's text: the whole text, a fenced block, or the outermost braces
 * after leading prose.
 */
export function extractJson(text: string, answerName: string): unknown {
  const candidates = [text.trim()];
  for (const fenced of fencedBlocks(text)) {
    candidates.push(fenced);
  }
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first !== -1 && last > first) {
    candidates.push(text.slice(first, last + 1));
  }
  for (const candidate of candidates) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // try the next candidate
    }
  }
  const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  throw new PlanError([
    { severity: 'error', code: 'analysis-not-json', message: `no JSON object found in the answer: ${JSON.stringify(preview)}`, file: answerName },
  ]);
}

/**
 * The trimmed contents of the code fences in a text (```` ``` ```` or ```` ```json ````, then a line break),
 * found in one pass: /```(?:json)?\s*\n([\s\S]*?)```/g backtracked quadratically on a fence followed by
 * many line breaks and no closing fence.
 */
export function fencedBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (let open = text.indexOf('```'); open !== -1;) {
    let start = open + 3;
    if (text.startsWith('json', start)) {
      start += 4;
    }
    let end = start;
    while (end < text.length && /\s/.test(text.charAt(end))) {
      end++;
    }
    if (!text.slice(start, end).includes('\n')) {
      open = text.indexOf('```', open + 1);
      continue;
    }
    const close = text.indexOf('```', end);
    if (close === -1) {
      break;
    }
    blocks.push(text.slice(end, close).trim());
    open = text.indexOf('```', close + 3);
  }
  return blocks;
}

export function buildAnalysisPrompt(plan: Plan, hints: readonly string[], referenceContext: ReadonlyMap<string, string>): string {
  const tasks = plan.tasks.map((t) => ({
    id: t.id,
    title: t.title,
    ...(t.description ? { description: t.description } : {}),
    parent: t.parent,
    dependsOn: t.dependsOn,
    priority: t.priority,
    status: t.status,
    ...(t.section.length ? { section: t.section.join(' > ') } : {}),
    ...(referenceContext.has(t.id) ? { referenceContent: referenceContext.get(t.id) } : {}),
  }));
  return [
    'You are planning work for coding agents. Below is a plan parsed from a tasks file.',
    'Refine it: for each task decide its parent (hierarchy), the ids of tasks it must wait for (dependsOn),',
    'its priority (critical, high, normal, low, background) and complexity (trivial, simple, moderate, complex, epic);',
    'and choose a strategy: mode (sequential, parallel, intelligent) and maxConcurrent.',
    'Rules: use only the task ids below; never invent or remove tasks; no dependency cycles; a parent must not depend on its own children.',
    'Answer with JSON only: {"strategy": {...}, "tasks": [{"id", "parent", "dependsOn", "priority", "complexity"}]}.',
    ...(hints.length ? ['', 'Hints from the user:', ...hints.map((h) => `- ${h}`)] : []),
    '',
    `Plan "${plan.name}":`,
    JSON.stringify(tasks, null, 1),
  ].join('\n');
}

const MAX_CACHED_ANSWER_BYTES = 8 * 1024 * 1024;

/** A cache of answers in a folder, one JSON file per key. */
export class FileAnalysisCache implements AnalysisCache {
  /** `root`: the workspace, when the cache folder is inside it (a repository may have made it a symlink). */
  constructor(
    private readonly _dir: string,
    private readonly _root?: string,
  ) {}

  async get(key: string): Promise<unknown> {
    try {
      // Bounded: the cache folder is inside the workspace, where a repository may have put anything.
      return JSON.parse((await readRegularFile(path.join(this._dir, `${key}.json`), MAX_CACHED_ANSWER_BYTES)).toString('utf8')) as unknown;
    } catch {
      return undefined; // no entry, or an unreadable one: a cache miss, and the model is asked
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    const file = path.join(this._dir, `${key}.json`);
    if (this._root !== undefined) {
      await assertRealPathInside(this._root, this._dir, file); // before mkdir, which would follow a symlinked folder
    }
    await mkdir(this._dir, { recursive: true });
    await writeFileSafely(file, JSON.stringify(value), this._root !== undefined ? { root: this._root } : {});
  }
}
