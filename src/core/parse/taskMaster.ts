/**
 * Task Master's `tasks.json`: the tagged layout `{ "<tag>": { "tasks": [...], "metadata": {...} } }`
 * (`.taskmaster/tasks/tasks.json`) and the legacy `{ "tasks": [...] }` (`tasks/tasks.json`). Numeric ids,
 * subtasks as `5.2` under their task (a group), dependencies resolved to ids, statuses mapped to ACA's.
 * Fields ACA does not know are ignored (write-back keeps them); a malformed field names its task and field.
 */
import * as z from 'zod';
import { newTask, type Priority, type Task, type TaskStatus } from '../model/plan';
import type { Problem } from '../model/problems';
import { jsonTooDeepAt, lineIndex, MAX_NESTING, untrustedDataProblems } from '../model/untrustedData';
import { resolveDependencies, type DependencyMention } from './dependencies';
import { pushAll } from '../common/arrays';
import type { ParsedTasksFile } from './markdownTasks';
import { IdSet, settleGroupStatuses } from './ownedText';
import { pathsInLine } from './taskPaths';

export interface TaskMasterOptions {
  /** How the file is named in tasks' `source.file` and in problems. */
  readonly file: string;
  /** The tag the user chose (`aca run --tag`): it must exist. */
  readonly tag?: string;
  /** `currentTag` of `.taskmaster/state.json`, when there is one. */
  readonly currentTag?: string;
}

/** Task Master's statuses and what each is to ACA (its own word is kept in the file for write-back). */
export const TASK_MASTER_STATUSES: Readonly<Record<string, TaskStatus>> = {
  pending: 'pending',
  'in-progress': 'in_progress',
  done: 'done',
  review: 'in_progress',
  deferred: 'skipped',
  cancelled: 'skipped',
  blocked: 'pending',
};

const PRIORITIES: Readonly<Record<string, Priority>> = { critical: 'critical', high: 'high', medium: 'normal', normal: 'normal', low: 'low' };

const DEFAULT_TAG = 'master';

/** What each field must be, with the words a problem uses for it. Unknown fields are not looked at. */
// Some files write a subtask's id as the number 31.1.
const idValue = z.union([
  z.number().nonnegative(),
  z
    .string()
    .trim()
    .regex(/^\d+(?:\.\d+)*$/),
]);
const FIELDS = {
  id: { schema: idValue, expected: 'a number' },
  title: { schema: z.string().trim().min(1), expected: 'a non-empty string' },
  description: { schema: z.string(), expected: 'a string' },
  details: { schema: z.string(), expected: 'a string' },
  testStrategy: { schema: z.string(), expected: 'a string' },
  status: { schema: z.string(), expected: 'a string' },
  priority: { schema: z.string(), expected: 'a string' },
  dependencies: { schema: z.array(z.union([z.number(), z.string()])), expected: 'an array of ids' },
  subtasks: { schema: z.array(z.record(z.string(), z.unknown())), expected: 'an array of subtask objects' },
} as const;
type FieldName = keyof typeof FIELDS;

/**
 * Reads a Task Master tasks.json. Over 80 lines on purpose: the guards (depth, syntax, hostile keys,
 * layout) and the task reader are closures over the same source, line index, offsets, problems and ids;
 * split apart they would pass all five along. Each stage is commented where it starts.
 */
export function parseTaskMaster(text: string, options: TaskMasterOptions): ParsedTasksFile {
  const file = options.file;
  const problems: Problem[] = [];
  const fail = (code: string, message: string, line?: number): ParsedTasksFile => ({
    name: 'Task Master',
    format: 'task-master',
    tasks: [],
    problems: [...problems, { severity: 'error', code, message, file, ...(line ? { line } : {}) }],
  });
  const source = text.replace(/^\uFEFF/, '');
  const lineOf = lineIndex(source);
  // jsonc-parser recurses once per level: refuse deep nesting before it sees the text.
  const tooDeep = jsonTooDeepAt(source);
  if (tooDeep !== undefined) {
    return fail('task-master-too-deep', `arrays and objects are nested more than ${MAX_NESTING} deep`, lineOf(tooDeep));
  }
  let data: unknown;
  try {
    // JSON.parse keeps a `__proto__` key as an own key, so that it is found and refused before any field is read.
    data = JSON.parse(source) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message)?.[1];
    return fail('task-master-syntax', `not valid JSON: ${message.split('\n')[0]}`, position !== undefined ? lineOf(Number(position)) : undefined);
  }
  // Only for a hostile file: where every value starts, found once.
  let allOffsets: Map<string, number> | undefined;
  const anyLine = (at: ReadonlyArray<PropertyKey>): number | undefined => {
    allOffsets ??= valueOffsets(source, 0, () => true);
    const offset = allOffsets.get(at.join(PATH_SEPARATOR));
    return offset === undefined ? undefined : lineOf(offset);
  };
  const unsafe = untrustedDataProblems(data, file, 'task-master', anyLine);
  if (unsafe.length > 0) {
    return { name: 'Task Master', format: 'task-master', tasks: [], problems: unsafe };
  }

  const layout = findLayout(data, options);
  if ('error' in layout) {
    return fail(layout.code, layout.error);
  }
  const rawTasks = layout.tasks;
  // Where each task and subtask starts, in one pass; a field's line is looked up only for a problem.
  const depth = layout.path.length;
  const prefix = layout.path.join(PATH_SEPARATOR);
  const offsets = valueOffsets(
    source,
    0,
    (at) => (at.length === depth + 1 || (at.length === depth + 3 && at[depth + 1] === 'subtasks')) && at.slice(0, depth).join(PATH_SEPARATOR) === prefix,
  );
  const lineAt = (at: ReadonlyArray<string | number>): number | undefined => {
    const offset = offsets.get(at.join(PATH_SEPARATOR));
    return offset === undefined ? undefined : lineOf(offset);
  };
  const tasks: Task[] = [];
  // Dependencies as written, resolved once every id is known.
  const mentions: DependencyMention[] = [];
  const ids = new IdSet();

  const readTask = (raw: unknown, at: ReadonlyArray<string | number>, position: number, parentId: string | null): Task | undefined => {
    const line = lineAt(at) ?? 1;
    const where = parentId === null ? `task ${position + 1}` : `subtask ${position + 1} of task ${parentId}`;
    if (!isRecord(raw)) {
      problems.push({ severity: 'error', code: 'task-master-invalid', message: `${where}: expected an object, found ${describe(raw)}`, file, line });
      return undefined;
    }
    const writtenId = raw['id'];
    const idOk = writtenId !== undefined && FIELDS.id.schema.safeParse(writtenId).success;
    const ownId = idOk ? String(writtenId).trim() : String(position + 1);
    // Subtask ids are local (`2`), or already the full `5.2`.
    const fullId = parentId === null || ownId.startsWith(`${parentId}.`) ? ownId : `${parentId}.${ownId}`;
    const name = parentId === null ? `task ${fullId}` : `subtask ${fullId}`;
    const fieldAt = (field: string): number => {
      const start = offsets.get(at.join(PATH_SEPARATOR));
      const offset = start === undefined ? undefined : valueOffsets(source, start, (inner) => inner.length === 1 && inner[0] === field).get(field);
      return offset === undefined ? line : lineOf(offset);
    };
    const field = <F extends FieldName>(key: F): z.infer<(typeof FIELDS)[F]['schema']> | undefined => {
      const value = raw[key];
      if (value === undefined || value === null) {
        return undefined;
      }
      const parsed = FIELDS[key].schema.safeParse(value);
      if (!parsed.success) {
        problems.push({
          severity: 'error',
          code: 'task-master-invalid',
          message: `${name}: field "${key}": expected ${FIELDS[key].expected}, found ${describe(value)}`,
          file,
          line: fieldAt(key),
        });
        return undefined;
      }
      return parsed.data as z.infer<(typeof FIELDS)[F]['schema']>;
    };
    if (writtenId === undefined) {
      problems.push({ severity: 'error', code: 'task-master-invalid', message: `${where}: field "id": missing`, file, line });
    } else {
      field('id');
    }
    const title = field('title');
    if (raw['title'] === undefined) {
      problems.push({ severity: 'error', code: 'task-master-invalid', message: `${name}: field "title": missing`, file, line });
    }
    const word = field('status')?.trim().toLowerCase();
    let status: TaskStatus = 'pending';
    if (word !== undefined) {
      const mapped = TASK_MASTER_STATUSES[word];
      if (mapped) {
        status = mapped;
      } else {
        problems.push({
          severity: 'warning',
          code: 'task-master-status',
          message: `${name}: status "${word}" is not one of Task Master's (${Object.keys(TASK_MASTER_STATUSES).join(', ')}); read as pending`,
          file,
          line: fieldAt('status'),
        });
      }
    }
    const priorityWord = field('priority')?.trim().toLowerCase();
    const priority = priorityWord === undefined ? undefined : PRIORITIES[priorityWord];
    if (priorityWord !== undefined && !priority) {
      problems.push({
        severity: 'warning',
        code: 'task-master-priority',
        message: `${name}: priority "${priorityWord}" is not high, medium or low; read as normal`,
        file,
        line: fieldAt('priority'),
      });
    }
    const task = newTask({
      id: ids.claim(fullId),
      title: title ?? `Task ${fullId}`,
      description: describeTask(field('description'), field('details'), field('testStrategy')),
      parent: parentId,
      priority: priority ?? 'normal',
      status,
      files: title ? pathsInLine(title) : [],
      source: { file, line },
    });
    tasks.push(task);
    for (const dependency of field('dependencies') ?? []) {
      mentions.push({ taskId: task.id, text: String(dependency).trim(), line: fieldAt('dependencies') });
    }
    const subtasks = field('subtasks') ?? [];
    subtasks.forEach((subtask, index) => readTask(subtask, [...at, 'subtasks', index], index, task.id));
    return task;
  };
  rawTasks.forEach((raw, index) => readTask(raw, [...layout.path, index], index, null));
  // A group: done when every subtask is; a "done" task with unfinished subtasks is still under way.
  settleGroupStatuses(tasks);

  // A subtask's plain number means a sibling subtask first (Task Master's rule), then a task.
  pushAll(problems, resolveDependencies(tasks, mentions, { file, siblingFirst: true }));
  for (const task of tasks) {
    // A subtask "depending" on its own task is inside it already: nothing to wait for (and no cycle).
    if (task.parent !== null && task.dependsOn.includes(task.parent)) {
      task.dependsOn = task.dependsOn.filter((id) => id !== task.parent);
    }
  }
  return { name: layout.tag ? `Task Master (${layout.tag})` : 'Task Master', format: 'task-master', tasks, problems };
}

type Layout =
  | { readonly tasks: readonly unknown[]; readonly path: Array<string | number>; readonly tag: string | undefined }
  | { readonly error: string; readonly code: string };

/** Which list of tasks the file holds: the legacy one, or the chosen tag's. */
function findLayout(data: unknown, options: TaskMasterOptions): Layout {
  const expected =
    'expected a Task Master tasks.json: {"<tag>": {"tasks": [...], "metadata": {...}}} (tagged, as in .taskmaster/tasks/tasks.json) or {"tasks": [...]} (legacy)';
  if (!isRecord(data)) {
    return { code: 'not-task-master', error: `not a known task format: ${expected}; found ${describe(data)}` };
  }
  if (Array.isArray(data['tasks'])) {
    if (options.tag !== undefined && options.tag !== DEFAULT_TAG) {
      return { code: 'task-master-unknown-tag', error: `no tag "${options.tag}": this tasks.json has the legacy layout, without tags` };
    }
    return { tasks: data['tasks'], path: ['tasks'], tag: undefined };
  }
  const tags = Object.keys(data).filter((key) => {
    const value = data[key];
    return isRecord(value) && Array.isArray(value['tasks']);
  });
  const [firstTag] = tags;
  if (firstTag === undefined) {
    const keys = Object.keys(data);
    const found =
      keys.length === 0
        ? 'an empty object'
        : `an object with the keys ${keys
            .slice(0, 8)
            .map((k) => JSON.stringify(k))
            .join(', ')}${keys.length > 8 ? ', …' : ''}`;
    return { code: 'not-task-master', error: `not a known task format: ${expected}; found ${found}` };
  }
  const known = tags.map((t) => `"${t}"`).join(', ');
  let tag: string;
  if (options.tag !== undefined) {
    if (!tags.includes(options.tag)) {
      return { code: 'task-master-unknown-tag', error: `no tag "${options.tag}" in this tasks.json; its tags: ${known}` };
    }
    tag = options.tag;
  } else if (options.currentTag !== undefined) {
    if (!tags.includes(options.currentTag)) {
      return {
        code: 'task-master-unknown-tag',
        error: `the current tag "${options.currentTag}" (from .taskmaster/state.json) is not in this tasks.json; its tags: ${known}; choose one with --tag`,
      };
    }
    tag = options.currentTag;
  } else if (tags.includes(DEFAULT_TAG) || tags.length > 1) {
    if (!tags.includes(DEFAULT_TAG)) {
      return { code: 'task-master-unknown-tag', error: `no tag "${DEFAULT_TAG}" in this tasks.json; its tags: ${known}; choose one with --tag` };
    }
    tag = DEFAULT_TAG;
  } else {
    tag = firstTag;
  }
  return { tasks: (data[tag] as Record<string, unknown>)['tasks'] as unknown[], path: [tag, 'tasks'], tag };
}

/** The task's description, then its details and test strategy under headings of their own. */
function describeTask(description: string | undefined, details: string | undefined, testStrategy: string | undefined): string {
  const parts: string[] = [];
  if (description?.trim()) {
    parts.push(description.trim());
  }
  if (details?.trim()) {
    parts.push(`### Details\n\n${details.trim()}`);
  }
  if (testStrategy?.trim()) {
    parts.push(`### Test strategy\n\n${testStrategy.trim()}`);
  }
  return parts.join('\n\n');
}

/** A value as a problem names it: short, and never the whole of a large value. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  if (Array.isArray(value)) {
    const bad = value.findIndex((item) => typeof item !== 'number' && typeof item !== 'string');
    return bad >= 0 ? `an array with ${describe(value[bad])} at [${bad}]` : `an array of ${value.length}`;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return isRecord(value) ? 'an object' : typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PATH_SEPARATOR = '\u0000';

/**
 * The offset where each `wanted` value starts, by its path (keys and indexes joined by PATH_SEPARATOR),
 * in the value that starts at `start` (paths relative to it). One pass over text that JSON.parse accepted;
 * building jsonc-parser's whole tree of a large tasks.json took most of the parse.
 */
function valueOffsets(text: string, start: number, wanted: (path: ReadonlyArray<string | number>) => boolean): Map<string, number> {
  const offsets = new Map<string, number>();
  const path: Array<string | number> = [];
  const inObject: boolean[] = [];
  let expectKey = false;
  const record = (at: number): void => {
    if (wanted(path)) {
      offsets.set(path.join(PATH_SEPARATOR), at);
    }
  };
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c) {
          escaped = true;
          i++;
        }
      }
      if (expectKey) {
        const raw = text.slice(start, i + 1);
        path[path.length - 1] = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        expectKey = false;
      } else {
        record(start);
      }
    } else if (code === 0x7b || code === 0x5b) {
      record(i);
      inObject.push(code === 0x7b);
      path.push(code === 0x7b ? '' : 0);
      expectKey = code === 0x7b;
    } else if (code === 0x7d || code === 0x5d) {
      inObject.pop();
      path.pop();
      expectKey = false;
      if (inObject.length === 0) {
        break; // the value that began at `start` is closed
      }
    } else if (code === 0x2c) {
      if (inObject[inObject.length - 1]) {
        expectKey = true;
      } else {
        path[path.length - 1] = (path[path.length - 1] as number) + 1;
      }
    } else if (code !== 0x3a && code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) {
      // A number, true, false or null: recorded at its first character, the rest skipped.
      record(i);
      while (i + 1 < text.length && !',]}: \n\r\t'.includes(text.charAt(i + 1))) {
        i++;
      }
    }
  }
  return offsets;
}
