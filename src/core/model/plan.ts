/**
 * The ACA plan: what a tasks file becomes, what the user reviews and approves, and what the engine runs.
 * Stored as JSON or TOML (see core/plan/planFile.ts). Every field is validated with these schemas where a
 * plan enters: from a file, from a model's answer, from the webview.
 */
import * as z from 'zod';
import { TASKS_FORMATS } from './tasksFormats';

export const PLAN_VERSION = 1;

export const PRIORITIES = ['critical', 'high', 'normal', 'low', 'background'] as const;
export const priorityValues = z.enum(PRIORITIES);
export type Priority = z.infer<typeof priorityValues>;

export const COMPLEXITIES = ['trivial', 'simple', 'moderate', 'complex', 'epic'] as const;
export const complexityValues = z.enum(COMPLEXITIES);
export type Complexity = z.infer<typeof complexityValues>;

export const TASK_STATUSES = ['pending', 'in_progress', 'done', 'skipped'] as const;
export const taskStatusValues = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof taskStatusValues>;

export const STRATEGY_MODES = ['sequential', 'parallel', 'intelligent'] as const;
export const strategyModeValues = z.enum(STRATEGY_MODES);
export type StrategyMode = z.infer<typeof strategyModeValues>;

const nonEmpty = z.string().trim().min(1);

export const referenceSchema = z
  .object({
    /** As written in the task file, relative to it. */
    path: nonEmpty,
    /** Whether the file existed (inside the workspace) when the plan was made. */
    found: z.boolean(),
  })
  .strict();
export type Reference = z.infer<typeof referenceSchema>;

export const taskSourceSchema = z
  .object({
    /** The tasks file, relative to the plan's source folder (or absolute when outside it). */
    file: nonEmpty,
    /** 1-based line of the task's list item. */
    line: z.number().int().positive(),
  })
  .strict();
export type TaskSource = z.infer<typeof taskSourceSchema>;

export const taskSchema = z
  .object({
    /** Stable across re-parses of an unchanged file: Kiro's number when it has one, else its position ("2.1"). */
    id: nonEmpty,
    title: nonEmpty,
    description: z.string().default(''),
    /** A parent is a group: done when all its children are, never sent to an agent itself. */
    parent: z.string().nullable().default(null),
    dependsOn: z.array(nonEmpty).default([]),
    priority: priorityValues.default('normal'),
    complexity: complexityValues.nullable().default(null),
    status: taskStatusValues.default('pending'),
    /** Kiro's `[ ]*`: may be skipped. */
    optional: z.boolean().default(false),
    /** A pause for verification (Kiro's "Checkpoint" tasks). */
    checkpoint: z.boolean().default(false),
    /** The headings the task stands under, outermost first. */
    section: z.array(z.string()).default([]),
    references: z.array(referenceSchema).default([]),
    /** Kiro's `_Requirements: 1.2, 2.3_`. */
    requirements: z.array(nonEmpty).default([]),
    /** Kiro's `**Validates: …**`. */
    validates: z.array(nonEmpty).default([]),
    /** Commands that must succeed after the task (run without a shell, argument vectors split by the engine). */
    verify: z.array(nonEmpty).default([]),
    /**
     * The file says the task may run beside others (spec-kit's `[P]`: different files, no dependencies on
     * unfinished work). The scheduler and the worktree executor use it; it never overrides `dependsOn`.
     */
    parallel: z.boolean().default(false),
    /** spec-kit's user-story label (`[US1]`), or another label the format gives a task. */
    story: z.string().trim().min(1).nullable().default(null),
    /**
     * Files the task names that it will create or change (relative to the tasks file), which need not exist
     * yet: what the scheduler uses to keep tasks on the same files apart. Existing files it reads are
     * `references`.
     */
    files: z.array(nonEmpty).default([]),
    source: taskSourceSchema.nullable().default(null),
  })
  .strict();
export type Task = z.infer<typeof taskSchema>;
/**
 * A task built by a reader: every field at its default but those given, in the schema's order (what a
 * parse of `{}` through taskSchema would give, without the cost of zod per task).
 */
export function newTask(fields: Pick<Task, 'id' | 'title' | 'parent' | 'status' | 'source'> & Partial<Task>): Task {
  return {
    id: fields.id,
    title: fields.title,
    description: fields.description ?? '',
    parent: fields.parent,
    dependsOn: fields.dependsOn ?? [],
    priority: fields.priority ?? 'normal',
    complexity: fields.complexity ?? null,
    status: fields.status,
    optional: fields.optional ?? false,
    checkpoint: fields.checkpoint ?? false,
    section: fields.section ?? [],
    references: fields.references ?? [],
    requirements: fields.requirements ?? [],
    validates: fields.validates ?? [],
    verify: fields.verify ?? [],
    parallel: fields.parallel ?? false,
    story: fields.story ?? null,
    files: fields.files ?? [],
    source: fields.source,
  };
}

/** A task as written in a file: fields with defaults may be left out. */
export type TaskInput = z.input<typeof taskSchema>;

export const strategySchema = z
  .object({
    mode: strategyModeValues.default('sequential'),
    maxConcurrent: z.number().int().min(1).max(64).default(1),
  })
  .strict();
export type Strategy = z.infer<typeof strategySchema>;

// The formats and their labels live without zod in tasksFormats.ts (the extension's activation names them).
export { TASKS_FORMAT_LABELS, TASKS_FORMATS, type TasksFormat } from './tasksFormats';
export const tasksFormatValues = z.enum(TASKS_FORMATS);

export const planSourceSchema = z
  .object({
    path: nonEmpty,
    /** The format the tasks file was read as; absent in plans written before formats were detected. */
    format: tasksFormatValues.optional(),
    /** SHA-256 (hex) of the source file's bytes when parsed. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a 64-digit lowercase hex SHA-256'),
  })
  .strict();
export type PlanSource = z.infer<typeof planSourceSchema>;

export const planSchema = z
  .object({
    version: z.literal(PLAN_VERSION),
    name: nonEmpty,
    source: planSourceSchema.nullable().default(null),
    strategy: strategySchema.default({ mode: 'sequential', maxConcurrent: 1 }),
    tasks: z.array(taskSchema),
  })
  .strict();
export type Plan = z.infer<typeof planSchema>;
export type PlanInput = z.input<typeof planSchema>;
