/**
 * Sessions written by the original Rust `aca` tool: its serde `SessionState` (`metadata`, `task_tree`,
 * `execution_context`, `file_system_state`), saved as pretty JSON at
 * `.aca/sessions/<id>/meta/session.json`, with full copies of the same shape under
 * `.aca/sessions/<id>/checkpoints/checkpoint_<uuid>.json`. ACA treats such a file as the old version of
 * one of its sessions: this module recognises it, validates it at the boundary and folds it into ACA's
 * `SessionState`, so work started with the old tool carries on where it stopped.
 *
 * The task tree becomes a plan through `convertSeedPlan`, so priorities, complexities, references and
 * plan statuses map exactly as they do for the tool's plans.
 */
import { z } from 'zod';
import { planSchema } from '../model/plan';
import { fieldPath, PlanError, type Problem } from '../model/problems';
import { convertSeedPlan } from '../plan/seedPlan';
import { checkTaskGraph } from '../tasks/graph';
import { SESSION_SCHEMA_VERSION, type SessionState, type TaskRun, type TaskRunState } from './events';
import { isRecord, variantKey, variantOf } from '../plan/serdeValues';

const PROBLEM_CODE = 'seed-session-invalid';
const MESSAGE_PREFIX = 'aca session: ';




// chrono's `DateTime<Utc>` is written as RFC 3339 (`2025-09-14T09:12:03.418275913Z`); only checked, ACA keeps no times.
const timestampSchema = z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp, e.g. "2025-01-15T10:30:00Z"' });

// chrono::Duration serializes as a `[secs, nanos]` tuple, std::time::Duration as `{ secs, nanos }`.
const durationSchema = z.union(
  [z.tuple([z.number().int(), z.number().int()]), z.object({ secs: z.number().int(), nanos: z.number().int() })],
  { error: 'a duration must be [secs, nanos] or { "secs": …, "nanos": … }' },
);

// Ids are UUIDs (lowercase, hyphenated, as the uuid crate writes them); numbers are kept as text for hand-edited files.
const idSchema = z
  .union([z.string().trim().min(1), z.number().int().nonnegative()], { error: 'an id must be a UUID string' })
  .transform((value) => String(value));

const optionalText = z.string().nullish();

function secondsOf(duration: z.infer<typeof durationSchema> | null | undefined): number | undefined {
  if (duration === undefined || duration === null) return undefined;
  const [secs, nanos] = Array.isArray(duration) ? duration : [duration.secs, duration.nanos];
  return secs + nanos / 1e9;
}

/** The entry for `key`, never one inherited from Object.prototype (`constructor`, …). */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

type Issues = z.ZodError['issues'];

/** Validates a variant's payload and describes it, keeping the payload's type between the two. */
interface ErrorVariant {
  readonly describe: (payload: unknown) => { readonly text: string } | { readonly issues: Issues };
}

function errorVariant<T>(schema: z.ZodType<T>, text: (payload: T) => string): ErrorVariant {
  return {
    describe: (payload) => {
      const result = schema.safeParse(payload);
      return result.success ? { text: text(result.data) } : { issues: result.error.issues };
    },
  };
}

/** ` (label value)` when there is a value, else nothing. */
function aside(value: string | null | undefined, label = ''): string {
  return value ? ` (${label}${value})` : '';
}

// `TaskError`: only its text survives (ACA keeps one error string per task), so each variant says what it can.
const TASK_ERRORS: Readonly<Record<string, ErrorVariant>> = {
  claudeerror: errorVariant(z.object({ message: optionalText, error_code: optionalText }), (p) => `Claude error: ${p.message ?? 'no message'}${aside(p.error_code)}`),
  builderror: errorVariant(z.object({ exit_code: z.number().int().nullish(), stdout: optionalText, stderr: optionalText }), (p) => {
    // stderr is where compilers explain themselves; stdout only when stderr is empty.
    const output = p.stderr?.trim() || p.stdout?.trim();
    return `build failed${aside(p.exit_code === undefined || p.exit_code === null ? undefined : String(p.exit_code), 'exit code ')}${output ? `: ${output}` : ''}`;
  }),
  filesystemerror: errorVariant(
    z.object({ message: optionalText, path: optionalText, operation: optionalText }),
    (p) => `file system error${p.operation ? ` during ${p.operation}` : ''}${p.path ? ` on ${p.path}` : ''}${p.message ? `: ${p.message}` : ''}`,
  ),
  resourceerror: errorVariant(
    z.object({ resource_type: optionalText, limit_exceeded: optionalText, current_usage: optionalText }),
    (p) => `${p.resource_type ?? 'resource'} limit exceeded${aside(p.limit_exceeded, 'limit ')}${aside(p.current_usage, 'using ')}`,
  ),
  dependencyerror: errorVariant(
    z.object({ message: optionalText, missing_dependencies: z.array(z.string()).nullish() }),
    (p) => `dependency error: ${p.message ?? 'no message'}${aside(p.missing_dependencies?.join(', '), 'missing: ')}`,
  ),
  timeouterror: errorVariant(
    z.object({ operation: optionalText, timeout_duration: durationSchema.nullish(), elapsed_time: durationSchema.nullish() }),
    (p) => {
      const limit = secondsOf(p.timeout_duration);
      return `${p.operation ?? 'the task'} timed out${limit === undefined ? '' : ` after ${limit}s`}`;
    },
  ),
  other: errorVariant(z.object({ message: optionalText, source: optionalText }), (p) => `${p.message ?? 'failed'}${aside(p.source, 'source: ')}`),
};

/** The text of a `TaskError`; a plain string is accepted for hand-written files, an unknown variant keeps its name. */
const taskErrorSchema: z.ZodType<string, unknown> = z.unknown().transform((value, ctx): string => {
  if (typeof value === 'string') {
    return value;
  }
  const variant = variantOf(value);
  if (variant === undefined || !isRecord(variant.payload)) {
    ctx.issues.push({ code: 'custom', message: 'expected a task error: { "Variant": { … } }, e.g. { "Other": { "message": … } }', input: value });
    return z.NEVER;
  }
  const known = own(TASK_ERRORS, variantKey(variant.name));
  if (known === undefined) {
    // A variant from a later version of the tool: its name (and message, if any) is still worth keeping.
    const message = variant.payload.message;
    return typeof message === 'string' && message !== '' ? `${variant.name}: ${message}` : variant.name;
  }
  const described = known.describe(variant.payload);
  if ('issues' in described) {
    for (const issue of described.issues) {
      ctx.issues.push({ code: 'custom', message: issue.message, input: value, path: [variant.name, ...issue.path] });
    }
    return z.NEVER;
  }
  return described.text;
});

type SeedStatusKind = 'pending' | 'inprogress' | 'blocked' | 'completed' | 'failed' | 'skipped' | 'cancelled';

interface SeedStatus {
  readonly kind: SeedStatusKind;
  /** The failure's text, or why the task was skipped or cancelled. */
  readonly reason?: string;
  /** `Failed.retry_count`: how many times the task has failed so far. */
  readonly failures: number;
}

const reasonSchema = z.string({ error: 'the reason must be a string' }).nullish();

/** What the run state needs from a status's fields; the others are validated and then left behind. */
interface StatusPayload {
  readonly reason?: string | null;
  readonly error?: string;
  readonly retry_count?: number;
  readonly [field: string]: unknown;
}

// Every field is optional: the variant is what matters, the timestamps are only checked when present.
const STATUS_PAYLOADS: Readonly<Record<SeedStatusKind, z.ZodType<StatusPayload | null | undefined>>> = {
  pending: z.null().optional(),
  inprogress: z.object({ started_at: timestampSchema.optional(), estimated_completion: timestampSchema.nullish() }).nullish(),
  blocked: z.object({ reason: reasonSchema, blocked_at: timestampSchema.optional(), retry_after: timestampSchema.nullish() }).nullish(),
  completed: z.object({ completed_at: timestampSchema.optional(), result: z.unknown() }).nullish(),
  failed: z
    .object({ failed_at: timestampSchema.optional(), error: taskErrorSchema.optional(), retry_count: z.number().int().nonnegative().optional() })
    .nullish(),
  skipped: z.object({ reason: reasonSchema, skipped_at: timestampSchema.optional() }).nullish(),
  // Not a variant of the tool's TaskStatus; accepted because a cancelled task means the same as a skipped one.
  cancelled: z.object({ reason: reasonSchema, cancelled_at: timestampSchema.optional() }).nullish(),
};

/** A variant key (`variantKey` form) the table knows; never a key inherited from Object.prototype. */
function isStatusKind(key: string): key is SeedStatusKind {
  return Object.hasOwn(STATUS_PAYLOADS, key);
}

const statusSchema: z.ZodType<SeedStatus, unknown> = z.unknown().transform((value, ctx): SeedStatus => {
  const variant = variantOf(value);
  const kind = variant === undefined ? undefined : variantKey(variant.name);
  if (variant === undefined || kind === undefined || !isStatusKind(kind)) {
    ctx.issues.push({
      code: 'custom',
      message: 'expected a task status: "Pending", or { "InProgress" | "Blocked" | "Completed" | "Failed" | "Skipped": { … } }',
      input: value,
    });
    return z.NEVER;
  }
  const payload = STATUS_PAYLOADS[kind].safeParse(variant.payload);
  if (!payload.success) {
    for (const issue of payload.error.issues) {
      ctx.issues.push({ code: 'custom', message: issue.message, input: value, path: [variant.name, ...issue.path] });
    }
    return z.NEVER;
  }
  const data = payload.data ?? {};
  const reason = data.error ?? data.reason ?? undefined;
  return { kind, failures: data.retry_count ?? 0, ...(reason ? { reason } : {}) };
});

const executionRecordSchema = z.object(
  {
    started_at: timestampSchema.optional(),
    completed_at: timestampSchema.nullish(),
    status: statusSchema.optional(),
    claude_session_id: idSchema.nullish(),
    files_modified: z.array(z.string()).nullish(),
    errors: z.array(z.string()).nullish(),
  },
  { error: 'an execution record must be an object' },
);

const seedTaskSchema = z.object(
  {
    id: idSchema.optional(),
    title: z.string({ error: (issue) => (issue.input === undefined ? 'the task has no title' : 'the title must be a string') }),
    description: z.string({ error: 'the description must be a string' }).nullish(),
    status: statusSchema.optional(),
    parent_id: idSchema.nullish(),
    children: z.array(idSchema, { error: 'children must be a list of task ids' }).nullish(),
    dependencies: z.array(idSchema, { error: 'dependencies must be a list of task ids' }).nullish(),
    created_at: timestampSchema.optional(),
    updated_at: timestampSchema.optional(),
    metadata: z
      .object({
        // Names and numbers are checked by `convertSeedPlan`, which maps them.
        priority: z.union([z.string(), z.number()], { error: 'expected a priority name' }).nullish(),
        estimated_complexity: z.string({ error: 'expected a complexity name' }).nullish(),
        estimated_duration: durationSchema.nullish(),
        file_refs: z.array(z.object({ path: z.string({ error: 'a file reference needs a path' }) })).nullish(),
        tags: z.array(z.string()).nullish(),
        context_requirements: z.object({ required_files: z.array(z.string()).nullish() }).nullish(),
      })
      .nullish(),
    execution_history: z.array(executionRecordSchema, { error: 'execution_history must be a list' }).nullish(),
  },
  { error: 'a task must be an object' },
);
type SeedTask = z.infer<typeof seedTaskSchema>;

const seedSessionSchema = z.object(
  {
    metadata: z.object(
      {
        id: idSchema,
        name: z.string({ error: 'the session name must be a string' }).nullish(),
        description: optionalText,
        created_at: timestampSchema.optional(),
        last_updated: timestampSchema.optional(),
        version: z.object({ major: z.number().int().nonnegative().optional(), format_version: z.string().optional() }).nullish(),
        checkpoints: z.array(z.object({ id: z.string(), created_at: timestampSchema.optional() })).nullish(),
      },
      { error: (issue) => (issue.input === undefined ? 'the session has no metadata' : 'metadata must be an object') },
    ),
    task_tree: z.object(
      {
        // A serde `HashMap<TaskId, Task>`: a JSON object keyed by task id, in no particular order.
        tasks: z.record(z.string().trim().min(1, 'a task id must not be empty'), seedTaskSchema, { error: 'tasks must be an object keyed by task id' }),
        roots: z.array(idSchema, { error: 'roots must be a list of task ids' }).nullish(),
        metadata: z
          .object({
            created_at: timestampSchema.optional(),
            updated_at: timestampSchema.optional(),
            statistics: z.object({ average_completion_time: durationSchema.nullish() }).nullish(),
          })
          .nullish(),
      },
      { error: (issue) => (issue.input === undefined ? 'the session has no task_tree' : 'task_tree must be an object') },
    ),
  },
  { error: "expected an object (the aca tool's session state)" },
);

/**
 * True for the Rust tool's session (or checkpoint) JSON rather than one of ACA's own files (session
 * state, header, snapshot, plan). Keys are checked, not their types, so a broken seed session still goes
 * to `migrateSeedSession` and gets precise problems.
 */
export function isSeedSession(value: unknown): boolean {
  if (!isRecord(value) || 'sessionId' in value || 'version' in value || 'state' in value || 'plan' in value || 'tasks' in value) {
    return false;
  }
  return 'task_tree' in value || ('metadata' in value && ('execution_context' in value || 'file_system_state' in value));
}

// How each status becomes a run state: a task that was running when the tool saved did not finish, so
// it runs again; a blocked task waits on something outside the plan (or a retry), so it is still to do.
const RUN_STATE: Readonly<Record<SeedStatusKind, TaskRunState>> = {
  pending: 'pending',
  inprogress: 'interrupted',
  blocked: 'pending',
  completed: 'done',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'skipped',
};

// The unit variant `convertSeedPlan` reads for the plan's own status (Cancelled is not one of the tool's).
const PLAN_VARIANT: Readonly<Record<SeedStatusKind, string>> = {
  pending: 'Pending',
  inprogress: 'InProgress',
  blocked: 'Blocked',
  completed: 'Completed',
  failed: 'Failed',
  skipped: 'Skipped',
  cancelled: 'Skipped',
};

const PENDING: SeedStatus = { kind: 'pending', failures: 0 };

function runOf(task: SeedTask): TaskRun {
  const status = task.status ?? PENDING;
  // Attempts are the task's execution records, or its failure count when larger (a retry after `Blocked`
  // restarts that count). The tool records no token usage or cost per task, so those start at 0.
  const attempts = Math.max(task.execution_history?.length ?? 0, status.kind === 'failed' ? status.failures : 0);
  const keepsReason = status.kind === 'failed' || status.kind === 'skipped' || status.kind === 'cancelled';
  return {
    state: RUN_STATE[status.kind],
    attempts,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    ...(keepsReason && status.reason !== undefined ? { error: status.reason } : {}),
    transcripts: [],
  };
}

/** Milliseconds since the epoch, or +∞ when unknown, so that tasks without a time sort last. */
function timeOf(task: SeedTask): number {
  const time = task.created_at === undefined ? Number.NaN : Date.parse(task.created_at);
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}

/**
 * The tasks in plan order: parents first, each followed by its children (depth first), roots and siblings
 * in the order the tool listed them (`roots`, `children`: creation order), then by creation time and id.
 * The JSON object itself has no order, since it was a HashMap.
 */
function planOrder(tasks: ReadonlyMap<string, SeedTask>, roots: readonly string[], parentOf: ReadonlyMap<string, string | null>, resolve: (id: string) => string | undefined): string[] {
  const listed = (ids: readonly string[] | null | undefined): Map<string, number> => {
    const positions = new Map<string, number>();
    (ids ?? []).forEach((id, index) => {
      const key = resolve(id);
      if (key !== undefined && !positions.has(key)) positions.set(key, index);
    });
    return positions;
  };
  const sorted = (keys: string[], positions: ReadonlyMap<string, number>): string[] =>
    keys.sort(
      (a, b) =>
        (positions.get(a) ?? Number.POSITIVE_INFINITY) - (positions.get(b) ?? Number.POSITIVE_INFINITY) ||
        timeOf(tasks.get(a)!) - timeOf(tasks.get(b)!) ||
        (a < b ? -1 : a > b ? 1 : 0),
    );

  const childrenOf = new Map<string, string[]>();
  const top: string[] = [];
  for (const key of tasks.keys()) {
    const parent = parentOf.get(key);
    if (parent === null || parent === undefined || !tasks.has(parent)) {
      top.push(key);
    } else {
      childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), key]);
    }
  }
  for (const [parent, keys] of childrenOf) {
    sorted(keys, listed(tasks.get(parent)?.children));
  }

  const order: string[] = [];
  const placed = new Set<string>();
  const visit = (key: string): void => {
    if (placed.has(key)) return;
    placed.add(key);
    order.push(key);
    for (const child of childrenOf.get(key) ?? []) visit(child);
  };
  sorted(top, listed(roots)).forEach(visit);
  // Tasks whose parents form a loop are reached from no root; they still go in, and the graph check names the loop.
  sorted([...tasks.keys()].filter((key) => !placed.has(key)), new Map()).forEach(visit);
  return order;
}

/** The seed-session field that a plan field came from, e.g. `tasks[2].dependsOn[0]` → `task_tree.tasks.<id>.dependencies[1]`. */
type FieldMapper = (planField: string | undefined) => string;

const SESSION_FIELD_OF_PLAN_FIELD: Readonly<Record<string, string>> = {
  parent: 'parent_id',
  dependsOn: 'dependencies',
  priority: 'metadata.priority',
  complexity: 'metadata.estimated_complexity',
  references: 'metadata.file_refs',
};

function problem(file: string, field: string, message: string): Problem {
  return { severity: 'error', code: PROBLEM_CODE, file, field, message: `${MESSAGE_PREFIX}${message}` };
}

/**
 * Converts the Rust tool's persisted session (`session.json`, or a checkpoint file of the same shape) to
 * ACA's session state. Throws `PlanError` (code `seed-session-invalid`, one problem per issue, each with
 * the field path in the tool's JSON) when `value` is not such a session or its task tree is not a valid plan.
 */
export function migrateSeedSession(value: unknown, file: string): SessionState {
  const parsed = seedSessionSchema.safeParse(value);
  if (!parsed.success) {
    throw new PlanError(parsed.error.issues.map((issue) => problem(file, fieldPath(issue.path), issue.message)));
  }
  const seed = parsed.data;
  const tasks = new Map(Object.entries(seed.task_tree.tasks));
  const taskField = (key: string, rest = ''): string => `${fieldPath(['task_tree', 'tasks', key])}${rest}`;

  // The map key is the task's id; an `id` field that disagrees means the file was edited or damaged.
  const mismatched = [...tasks].filter(([key, task]) => task.id !== undefined && task.id.toLowerCase() !== key.toLowerCase());
  if (mismatched.length > 0) {
    throw new PlanError(mismatched.map(([key, task]) => problem(file, taskField(key, '.id'), `the task's id "${task.id}" differs from its key "${key}"`)));
  }

  // UUIDs compare case-insensitively; an id that names no task is kept as written for the graph check to report.
  const keyByLowerId = new Map<string, string>();
  for (const key of tasks.keys()) {
    if (!keyByLowerId.has(key.toLowerCase())) keyByLowerId.set(key.toLowerCase(), key);
  }
  const resolve = (id: string): string | undefined => keyByLowerId.get(id.toLowerCase());
  const parentOf = new Map<string, string | null>();
  // For each task, its dependencies once each, with the index each had in the file (for problem paths).
  const dependenciesOf = new Map<string, { ids: string[]; fileIndex: number[] }>();
  for (const [key, task] of tasks) {
    parentOf.set(key, task.parent_id === undefined || task.parent_id === null ? null : (resolve(task.parent_id) ?? task.parent_id));
    const ids: string[] = [];
    const fileIndex: number[] = [];
    (task.dependencies ?? []).forEach((dependency, index) => {
      const id = resolve(dependency) ?? dependency;
      if (!ids.includes(id)) {
        ids.push(id);
        fileIndex.push(index);
      }
    });
    dependenciesOf.set(key, { ids, fileIndex });
  }

  const order = planOrder(tasks, seed.task_tree.roots ?? [], parentOf, resolve);
  const sessionId = seed.metadata.id;
  const name = seed.metadata.name?.trim();

  const toSessionField: FieldMapper = (planField) => {
    const match = planField === undefined ? null : /^(?:tasks|task_specs)\[(\d+)\](?:\.(\w+))?(.*)$/.exec(planField);
    const key = match ? order[Number(match[1])] : undefined;
    if (!match || key === undefined) {
      return planField ?? '(root)';
    }
    const [, , head, rest = ''] = match;
    if (head === undefined) {
      return taskField(key, rest);
    }
    const index = /^\[(\d+)\]/.exec(rest);
    if ((head === 'dependsOn' || head === 'dependencies') && index !== null) {
      // `[d]` in the plan is the d-th distinct dependency; point at the entry the file has there.
      const fileIndex = dependenciesOf.get(key)?.fileIndex[Number(index[1])] ?? Number(index[1]);
      return taskField(key, `.dependencies[${fileIndex}]${rest.slice(index[0].length)}`);
    }
    return taskField(key, `.${own(SESSION_FIELD_OF_PLAN_FIELD, head) ?? head}${rest}`);
  };

  // The tool's plan shape, so that its task fields map exactly as they do for the tool's plans.
  let input: ReturnType<typeof convertSeedPlan>;
  try {
    input = convertSeedPlan(
      {
        task_specs: order.map((key) => {
          const task = tasks.get(key)!;
          return {
            id: key,
            parent_id: parentOf.get(key) ?? null,
            status: PLAN_VARIANT[(task.status ?? PENDING).kind],
            title: task.title,
            description: task.description ?? '',
            dependencies: dependenciesOf.get(key)?.ids ?? [],
            metadata: {
              priority: task.metadata?.priority ?? null,
              estimated_complexity: task.metadata?.estimated_complexity ?? null,
              file_refs: task.metadata?.file_refs ?? null,
              context_requirements: task.metadata?.context_requirements ?? null,
            },
          };
        }),
        // Sessions do not record how the tool scheduled them; sequential is its default.
        execution_mode: 'Sequential',
        metadata: { name: name ? name : `aca session ${sessionId}` },
      },
      file,
    );
  } catch (error) {
    if (!PlanError.is(error)) throw error;
    throw new PlanError(error.problems.map((p) => problem(file, toSessionField(p.field), p.message.replace(/^aca execution plan: /, ''))));
  }

  const plan = planSchema.safeParse(input);
  if (!plan.success) {
    throw new PlanError(plan.error.issues.map((issue) => problem(file, toSessionField(fieldPath(issue.path)), issue.message)));
  }
  // Parents that exist and come first, known dependencies, no cycles: what ACA requires of every plan.
  const graphProblems = checkTaskGraph(plan.data.tasks, file).filter((p) => p.severity === 'error');
  if (graphProblems.length > 0) {
    throw new PlanError(graphProblems.map((p) => problem(file, toSessionField(p.field), p.message)));
  }

  return {
    version: SESSION_SCHEMA_VERSION,
    sessionId,
    seq: 0,
    plan: plan.data,
    tasks: Object.fromEntries(order.map((key) => [key, runOf(tasks.get(key)!)])),
    // The tool's checkpoints are whole-state copies, not points in ACA's journal: there is nothing to point at.
    checkpoints: [],
  };
}
