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
import { planSchema } from '../model/plan';
import { fieldPath, PlanError, type Problem } from '../model/problems';
import { convertSeedPlan } from '../plan/seedPlan';
import { checkTaskGraph } from '../tasks/graph';
import { SESSION_SCHEMA_VERSION, type SessionState, type TaskRun, type TaskRunState } from './events';
import { own, seedSessionSchema, type SeedStatus, type SeedStatusKind, type SeedTask } from './seedSessionSchema';

export { isSeedSession } from './seedSessionSchema';

const PROBLEM_CODE = 'seed-session-invalid';
const MESSAGE_PREFIX = 'aca session: ';

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
function planOrder(
  tasks: ReadonlyMap<string, SeedTask>,
  roots: readonly string[],
  parentOf: ReadonlyMap<string, string | null>,
  resolve: (id: string) => string | undefined,
): string[] {
  const listed = (ids: readonly string[] | null | undefined): Map<string, number> => {
    const positions = new Map<string, number>();
    (ids ?? []).forEach((id, index) => {
      const key = resolve(id);
      if (key !== undefined && !positions.has(key)) positions.set(key, index);
    });
    return positions;
  };
  const timeOfKey = (key: string): number => {
    const task = tasks.get(key);
    return task ? timeOf(task) : Number.POSITIVE_INFINITY;
  };
  const sorted = (keys: string[], positions: ReadonlyMap<string, number>): string[] =>
    keys.sort(
      (a, b) =>
        (positions.get(a) ?? Number.POSITIVE_INFINITY) - (positions.get(b) ?? Number.POSITIVE_INFINITY) ||
        timeOfKey(a) - timeOfKey(b) ||
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
  sorted(
    [...tasks.keys()].filter((key) => !placed.has(key)),
    new Map(),
  ).forEach(visit);
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

/** A task's field in the tool's JSON, e.g. `task_tree.tasks.<key>.dependencies[1]`. */
function taskField(key: string, rest = ''): string {
  return `${fieldPath(['task_tree', 'tasks', key])}${rest}`;
}

/** How the tasks point at each other: ids resolved to map keys, each task's parent and its dependencies. */
interface TaskLinks {
  readonly resolve: (id: string) => string | undefined;
  readonly parentOf: ReadonlyMap<string, string | null>;
  /** For each task, its dependencies once each, with the index each had in the file (for problem paths). */
  readonly dependenciesOf: ReadonlyMap<string, { ids: string[]; fileIndex: number[] }>;
}

function linkTasks(tasks: ReadonlyMap<string, SeedTask>): TaskLinks {
  // UUIDs compare case-insensitively; an id that names no task is kept as written for the graph check to report.
  const keyByLowerId = new Map<string, string>();
  for (const key of tasks.keys()) {
    if (!keyByLowerId.has(key.toLowerCase())) keyByLowerId.set(key.toLowerCase(), key);
  }
  const resolve = (id: string): string | undefined => keyByLowerId.get(id.toLowerCase());
  const parentOf = new Map<string, string | null>();
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
  return { resolve, parentOf, dependenciesOf };
}

/** Maps a field of the converted plan back to the tool's JSON, so that problems name what to fix there. */
function sessionFieldMapper(order: readonly string[], links: TaskLinks): FieldMapper {
  return (planField) => {
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
      const fileIndex = links.dependenciesOf.get(key)?.fileIndex[Number(index[1])] ?? Number(index[1]);
      return taskField(key, `.dependencies[${fileIndex}]${rest.slice(index[0].length)}`);
    }
    return taskField(key, `.${own(SESSION_FIELD_OF_PLAN_FIELD, head) ?? head}${rest}`);
  };
}

/** The tasks in the tool's plan shape, so that their fields map exactly as they do for the tool's plans. */
function seedPlanInput(ordered: ReadonlyArray<readonly [string, SeedTask]>, links: TaskLinks, name: string, file: string): ReturnType<typeof convertSeedPlan> {
  return convertSeedPlan(
    {
      task_specs: ordered.map(([key, task]) => ({
        id: key,
        parent_id: links.parentOf.get(key) ?? null,
        status: PLAN_VARIANT[(task.status ?? PENDING).kind],
        title: task.title,
        description: task.description ?? '',
        dependencies: links.dependenciesOf.get(key)?.ids ?? [],
        metadata: {
          priority: task.metadata?.priority ?? null,
          estimated_complexity: task.metadata?.estimated_complexity ?? null,
          file_refs: task.metadata?.file_refs ?? null,
          context_requirements: task.metadata?.context_requirements ?? null,
        },
      })),
      // Sessions do not record how the tool scheduled them; sequential is its default.
      execution_mode: 'Sequential',
      metadata: { name },
    },
    file,
  );
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

  // The map key is the task's id; an `id` field that disagrees means the file was edited or damaged.
  const mismatched = [...tasks].filter(([key, task]) => task.id !== undefined && task.id.toLowerCase() !== key.toLowerCase());
  if (mismatched.length > 0) {
    throw new PlanError(mismatched.map(([key, task]) => problem(file, taskField(key, '.id'), `the task's id "${task.id}" differs from its key "${key}"`)));
  }

  const links = linkTasks(tasks);
  const order = planOrder(tasks, seed.task_tree.roots ?? [], links.parentOf, links.resolve);
  // Every key in `order` came from `tasks`; the filter only tells the compiler so.
  const ordered = order.flatMap((key) => {
    const task = tasks.get(key);
    return task ? [[key, task] as const] : [];
  });
  const sessionId = seed.metadata.id;
  const name = seed.metadata.name?.trim();
  const toSessionField = sessionFieldMapper(order, links);

  let input: ReturnType<typeof convertSeedPlan>;
  try {
    input = seedPlanInput(ordered, links, name ? name : `aca session ${sessionId}`, file);
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
    tasks: Object.fromEntries(ordered.map(([key, task]) => [key, runOf(task)])),
    // The tool's checkpoints are whole-state copies, not points in ACA's journal: there is nothing to point at.
    checkpoints: [],
  };
}
