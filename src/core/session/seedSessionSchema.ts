/**
 * The Rust `aca` tool's persisted session, as zod schemas: what seedSession.ts migrates from. Validated at
 * the boundary (the file can come with a repository); each issue names the field in the tool's JSON.
 */
import * as z from 'zod';
import { isRecord, variantKey, variantOf } from '../plan/serdeValues';

// chrono's `DateTime<Utc>` is written as RFC 3339 (`2025-09-14T09:12:03.418275913Z`); only checked, ACA keeps no times.
const timestampSchema = z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp, e.g. "2025-01-15T10:30:00Z"' });

// chrono::Duration serializes as a `[secs, nanos]` tuple, std::time::Duration as `{ secs, nanos }`.
const durationSchema = z.union([z.tuple([z.number().int(), z.number().int()]), z.object({ secs: z.number().int(), nanos: z.number().int() })], {
  error: 'a duration must be [secs, nanos] or { "secs": …, "nanos": … }',
});

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
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
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
  claudeerror: errorVariant(
    z.object({ message: optionalText, error_code: optionalText }),
    (p) => `Claude error: ${p.message ?? 'no message'}${aside(p.error_code)}`,
  ),
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
  timeouterror: errorVariant(z.object({ operation: optionalText, timeout_duration: durationSchema.nullish(), elapsed_time: durationSchema.nullish() }), (p) => {
    const limit = secondsOf(p.timeout_duration);
    return `${p.operation ?? 'the task'} timed out${limit === undefined ? '' : ` after ${limit}s`}`;
  }),
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

export type SeedStatusKind = 'pending' | 'inprogress' | 'blocked' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export interface SeedStatus {
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
export type SeedTask = z.infer<typeof seedTaskSchema>;

export const seedSessionSchema = z.object(
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
