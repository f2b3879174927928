/**
 * Plans written by the original Rust `aca` tool (`aca --dump-plan plan.json|plan.toml`, its serde
 * `ExecutionPlan`: `setup_commands`, `task_specs`, `execution_mode`, `metadata`). ACA loads them so work
 * planned with the old tool carries over: this module recognises that shape and converts it to ACA's
 * plan input. The seed is validated here, at the boundary; the result still goes through `planSchema`.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import * as z from 'zod';
import type { Complexity, PlanInput, Priority, Reference, StrategyMode, TaskInput, TaskStatus } from '../model/plan';
import { PlanError, fieldPath, type Problem } from '../model/problems';
import { isRecord, variantKey, variantOf } from './serdeValues';

/** The tool's `max_concurrent: None` means "no limit"; ACA needs a number, so a modest one stands in. */
export const SEED_UNLIMITED_CONCURRENCY = 4;
const MAX_CONCURRENT = 64;

// chrono::Duration (what the tool uses) serializes as a `[secs, nanos]` tuple, std::time::Duration as
// `{ secs, nanos }`. ACA has no duration field, but a file holding either shape must load.
const durationSchema = z.union([z.tuple([z.number().int(), z.number().int()]), z.object({ secs: z.number().int(), nanos: z.number().int() })], {
  error: 'a duration must be [secs, nanos] or { "secs": …, "nanos": … }',
});

/** A name (any case) or a number mapped through `lookup`; anything else is reported with `expected`. */
function lenientEnum<T extends string>(expected: string, lookup: (value: string | number) => T | undefined): z.ZodType<T, string | number> {
  return z.union([z.string(), z.number()], { error: `expected one of ${expected}` }).transform((value, ctx): T => {
    const found = lookup(value);
    if (found === undefined) {
      ctx.issues.push({ code: 'custom', message: `expected one of ${expected}, got ${JSON.stringify(value)}`, input: value });
      return z.NEVER;
    }
    return found;
  });
}

const PRIORITY_BY_NAME: Readonly<Record<string, Priority>> = {
  critical: 'critical',
  high: 'high',
  normal: 'normal',
  low: 'low',
  background: 'background',
};

/** The tool's enum discriminants are Critical=10, High=8, Normal=5, Low=3, Background=1; values between fall to the lower level. */
function priorityFromNumber(value: number): Priority | undefined {
  if (!Number.isFinite(value)) return undefined;
  if (value >= 10) return 'critical';
  if (value >= 8) return 'high';
  if (value >= 5) return 'normal';
  if (value >= 3) return 'low';
  return 'background';
}

const prioritySchema = lenientEnum('Critical, High, Normal, Low, Background', (value) =>
  typeof value === 'number' ? priorityFromNumber(value) : PRIORITY_BY_NAME[variantKey(value)],
);

const COMPLEXITY_BY_NAME: Readonly<Record<string, Complexity>> = {
  trivial: 'trivial',
  simple: 'simple',
  moderate: 'moderate',
  complex: 'complex',
  epic: 'epic',
};

const complexitySchema = lenientEnum('Trivial, Simple, Moderate, Complex, Epic', (value) =>
  typeof value === 'string' ? COMPLEXITY_BY_NAME[variantKey(value)] : undefined,
);

const STATUS_BY_VARIANT: Readonly<Record<string, TaskStatus>> = {
  pending: 'pending',
  inprogress: 'in_progress',
  // Blocked on something outside the plan, or failed: both still need doing, so ACA runs them again.
  blocked: 'pending',
  failed: 'pending',
  completed: 'done',
  done: 'done',
  skipped: 'skipped',
};

// `TaskStatus` carries timestamps and results in its variants; only the variant matters to ACA.
const statusSchema: z.ZodType<TaskStatus, unknown> = z.unknown().transform((value, ctx): TaskStatus => {
  const variant = variantOf(value);
  const status = variant === undefined ? undefined : STATUS_BY_VARIANT[variantKey(variant.name)];
  if (status === undefined) {
    ctx.issues.push({
      code: 'custom',
      message: 'expected a task status: Pending, InProgress, Blocked, Completed, Failed or Skipped (a name, or { "Variant": { … } })',
      input: value,
    });
    return z.NEVER;
  }
  return status;
});

interface SeedStrategy {
  readonly mode: StrategyMode;
  readonly maxConcurrent: number;
}

const parallelSchema = z
  .object({ max_concurrent: z.number().int().min(0).nullish() }, { error: 'Parallel takes { "max_concurrent": number or null }' })
  .nullish();

// `Sequential` | `Intelligent` | `{ "Parallel": { "max_concurrent": n | null } }`; TOML leaves out a
// `None`, so `[execution_mode.Parallel]` may be an empty table.
const SEQUENTIAL: SeedStrategy = { mode: 'sequential', maxConcurrent: 1 };

const executionModeSchema: z.ZodType<SeedStrategy, unknown> = z.unknown().transform((value, ctx): SeedStrategy => {
  if (value === null) {
    return SEQUENTIAL;
  }
  const variant = variantOf(value);
  switch (variant === undefined ? '' : variantKey(variant.name)) {
    case 'sequential':
      return SEQUENTIAL;
    case 'intelligent':
      // The tool runs intelligent plans one task at a time; ACA keeps its default concurrency for them.
      return { mode: 'intelligent', maxConcurrent: 1 };
    case 'parallel': {
      const payload = parallelSchema.safeParse(variant?.payload);
      if (!payload.success) {
        for (const issue of payload.error.issues) {
          ctx.issues.push({ code: 'custom', message: issue.message, input: value, path: ['Parallel', ...issue.path] });
        }
        return z.NEVER;
      }
      const limit = payload.data?.max_concurrent;
      const maxConcurrent = limit === undefined || limit === null ? SEED_UNLIMITED_CONCURRENCY : Math.min(Math.max(limit, 1), MAX_CONCURRENT);
      return { mode: 'parallel', maxConcurrent };
    }
    default:
      ctx.issues.push({
        code: 'custom',
        message: 'expected "Sequential", "Intelligent" or { "Parallel": { "max_concurrent": … } }',
        input: value,
      });
      return z.NEVER;
  }
});

// Task ids in the tool are UUIDs; numbers are accepted for hand-written files and kept as text.
const idSchema = z
  .union([z.string().trim().min(1), z.number().int().nonnegative()], { error: 'an id must be a UUID string or a number' })
  .transform((value) => String(value));

const seedTaskSchema = z.object(
  {
    // `TaskSpec` has no id, parent or status; the tool's full `Task` record has them, so they are read when present.
    id: idSchema.optional(),
    parent_id: idSchema.nullish(),
    status: statusSchema.optional(),
    // Kept untrimmed: the tool derives task UUIDs from the exact title.
    title: z
      .string({ error: (issue) => (issue.input === undefined ? 'the task has no title' : 'the title must be a string') })
      .refine((title) => title.trim() !== '', 'the title is empty'),
    description: z.string({ error: 'the description must be a string' }).nullish(),
    dependencies: z.array(idSchema, { error: 'dependencies must be a list of task ids' }).nullish(),
    metadata: z
      .object({
        priority: prioritySchema.nullish(),
        estimated_complexity: complexitySchema.nullish(),
        estimated_duration: durationSchema.nullish(),
        file_refs: z.array(z.object({ path: z.string({ error: 'a file reference needs a path' }) })).nullish(),
        context_requirements: z.object({ required_files: z.array(z.string()).nullish() }).nullish(),
      })
      .nullish(),
  },
  { error: 'a task must be an object' },
);
type SeedTask = z.infer<typeof seedTaskSchema>;

const seedPlanSchema = z.object(
  {
    // ACA has no setup step: the commands are read only so that their durations are checked like the rest.
    setup_commands: z.array(z.object({ timeout: durationSchema.nullish() })).nullish(),
    task_specs: z.array(seedTaskSchema, {
      error: (issue) => (issue.input === undefined ? 'the plan has no task_specs' : 'task_specs must be a list of tasks'),
    }),
    execution_mode: executionModeSchema.optional(),
    metadata: z.object({ name: z.string().nullish(), estimated_duration: durationSchema.nullish() }).nullish(),
  },
  { error: "expected an object (the aca tool's execution plan)" },
);

/**
 * True when a parsed JSON/TOML document is the Rust tool's plan rather than ACA's own (`version`, `tasks`).
 * Keys are checked, not their types, so a broken seed plan still goes to `convertSeedPlan` and gets
 * precise problems instead of being mistaken for a broken ACA plan.
 */
export function isSeedPlan(value: unknown): boolean {
  if (!isRecord(value) || 'version' in value || 'tasks' in value) {
    return false;
  }
  return 'task_specs' in value || 'execution_mode' in value;
}

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/**
 * The id the tool gave a task: UUID v5 of `llm-task-<title>` in the DNS namespace. `TaskSpec` does not
 * store it, but dependencies are written as these UUIDs, so recomputing them maps dependencies to tasks.
 */
export function seedTaskUuid(title: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(DNS_NAMESPACE.replace(/-/g, ''), 'hex'))
    .update(`llm-task-${title}`, 'utf8')
    .digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Context files and file references, once each, as references not yet checked against the workspace. */
function referencesOf(task: SeedTask): Reference[] {
  const paths = [...(task.metadata?.context_requirements?.required_files ?? []), ...(task.metadata?.file_refs ?? []).map((ref) => ref.path)];
  const unique = [...new Set(paths.map((p) => p.trim()).filter((p) => p !== ''))];
  return unique.map((p) => ({ path: p, found: false }));
}

/** The file's name without its extension; `win32.basename` splits on both `/` and `\`. */
function planNameFromFile(file: string): string {
  const base = path.win32.basename(file);
  const name = base.slice(0, base.length - path.extname(base).length).trim();
  return name === '' ? 'plan' : name;
}

/**
 * Converts the Rust tool's execution plan to ACA's plan input. Throws `PlanError` (code
 * `seed-plan-invalid`, one problem per issue) when `value` is not such a plan.
 */
export function convertSeedPlan(value: unknown, file: string): PlanInput {
  const parsed = seedPlanSchema.safeParse(value);
  if (!parsed.success) {
    const problems: Problem[] = parsed.error.issues.map((issue) => ({
      severity: 'error',
      code: 'seed-plan-invalid',
      file,
      field: fieldPath(issue.path),
      message: `aca execution plan: ${issue.message}`,
    }));
    throw new PlanError(problems);
  }
  const seed = parsed.data;

  // A task keeps the id it was given; a `TaskSpec` has none, so it gets its position, as ACA does for tasks files.
  const ids = seed.task_specs.map((task, index) => task.id ?? String(index + 1));
  const idBySeedId = new Map<string, string>();
  const remember = (seedId: string, id: string): void => {
    // UUIDs compare case-insensitively; with duplicate titles the first task wins, as it would in the tool.
    const key = seedId.toLowerCase();
    if (!idBySeedId.has(key)) idBySeedId.set(key, id);
  };
  seed.task_specs.forEach((task, index) => {
    const id = ids[index] ?? String(index + 1);
    if (task.id !== undefined) remember(task.id, id);
    remember(seedTaskUuid(task.title), id);
  });
  // An id that names no task is kept as written, so ACA's own plan checks report it where it is.
  const mapId = (seedId: string): string => idBySeedId.get(seedId.toLowerCase()) ?? seedId;

  const tasks: TaskInput[] = seed.task_specs.map((task, index) => ({
    id: ids[index] ?? String(index + 1),
    title: task.title.trim(),
    description: task.description ?? '',
    parent: task.parent_id === undefined || task.parent_id === null ? null : mapId(task.parent_id),
    dependsOn: [...new Set((task.dependencies ?? []).map(mapId))],
    priority: task.metadata?.priority ?? 'normal',
    complexity: task.metadata?.estimated_complexity ?? null,
    status: task.status ?? 'pending',
    references: referencesOf(task),
  }));

  const name = seed.metadata?.name?.trim();
  // The tool's default mode is Sequential.
  const strategy = seed.execution_mode ?? SEQUENTIAL;
  return {
    version: 1,
    name: name ? name : planNameFromFile(file),
    source: null,
    strategy: { mode: strategy.mode, maxConcurrent: strategy.maxConcurrent },
    tasks,
  };
}
