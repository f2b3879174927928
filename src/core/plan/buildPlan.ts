/**
 * A tasks file (markdown or plain text) to a validated plan: parse, check references against the
 * workspace, check the task graph. Problems come back with the plan; only errors make it unusable.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readRegularFile, UnsafeFileError } from '../common/untrustedFile';
import { PLAN_VERSION, planSchema, type Plan, type StrategyMode } from '../model/plan';
import { pushAll } from '../common/arrays';
import type { ParsedTasksFile } from '../parse/markdownTasks';
import { readTasksText } from '../parse/readTasks';
import { checkReferences } from '../parse/references';
import { checkTaskGraph } from '../tasks/graph';
import type { Problem } from '../model/problems';
import { isSeedPlan } from './seedPlan';
import { jsonTooDeepAt } from '../model/untrustedData';

export interface TasksFilePlan {
  readonly plan: Plan;
  readonly problems: Problem[];
}

export interface BuildPlanOptions {
  /** References may not point outside this folder. Default: the tasks file's folder. */
  readonly workspaceRoot?: string;
  readonly strategy?: { mode: StrategyMode; maxConcurrent: number };
  /** Task Master: read this tag of tasks.json instead of the current one (`aca run --tag`). */
  readonly tag?: string;
}

/** Files larger than this are refused: a tasks file is text a person wrote, not a data dump. */
export const MAX_TASKS_FILE_BYTES = 32 * 1024 * 1024;

export async function planFromTasksFile(file: string, options: BuildPlanOptions = {}): Promise<TasksFilePlan> {
  const absolute = path.resolve(file);
  const workspaceRoot = path.resolve(options.workspaceRoot ?? path.dirname(absolute));
  const display = displayPath(absolute, workspaceRoot);
  let bytes: Buffer;
  try {
    // A regular file under the limit only: a tasks file may be a symlink to /dev/zero, or a FIFO.
    bytes = await readRegularFile(absolute, MAX_TASKS_FILE_BYTES);
  } catch (error) {
    if (!UnsafeFileError.is(error)) {
      throw error;
    }
    const message =
      error.problem === 'too-large'
        ? `the file is over ${MAX_TASKS_FILE_BYTES} bytes, the limit for tasks files; it was not read`
        : 'not a regular file (a device, a FIFO, a socket or a folder); it was not read';
    return {
      plan: emptyPlan(display, Buffer.alloc(0)),
      problems: [{ severity: 'error', code: error.problem === 'too-large' ? 'file-too-large' : 'file-not-regular', message, file: display }],
    };
  }
  return planFromTasksText(bytes, absolute, workspaceRoot, options);
}

export async function planFromTasksText(bytes: Buffer, absolute: string, workspaceRoot: string, options: BuildPlanOptions = {}): Promise<TasksFilePlan> {
  const display = displayPath(absolute, workspaceRoot);
  const text = decodeText(bytes);
  let parsed: ParsedTasksFile;
  try {
    // Siblings only help to recognise a format; a folder that cannot be listed just gives no hint.
    const siblings = await readdir(path.dirname(absolute)).catch(() => []);
    const currentTag = /\.json$/i.test(absolute) ? await taskMasterCurrentTag(absolute, workspaceRoot) : undefined;
    const taskMaster = { ...(options.tag !== undefined ? { tag: options.tag } : {}), ...(currentTag !== undefined ? { currentTag } : {}) };
    parsed = readTasksText(text, { file: display, siblings, taskMaster });
  } catch (error) {
    // Whatever a hostile file still provokes is a problem with this file, not an "unexpected error".
    const message = `could not be parsed: ${error instanceof Error ? error.message : String(error)}`;
    return { plan: emptyPlan(display, bytes), problems: [{ severity: 'error', code: 'file-unparsable', message, file: display }] };
  }
  const problems = [...parsed.problems];
  if (options.tag !== undefined && parsed.format !== 'task-master') {
    problems.push({
      severity: 'error',
      code: 'tag-not-task-master',
      message: `--tag ${options.tag}: tags are Task Master's, and this file was read as ${parsed.format}`,
      file: display,
    });
  }
  pushAll(problems, await checkReferences(parsed.tasks, absolute, workspaceRoot, display));
  const plan = planSchema.parse({
    version: PLAN_VERSION,
    name: parsed.name,
    source: { path: display, format: parsed.format, sha256: sha256(bytes) },
    strategy: options.strategy ?? { mode: 'sequential', maxConcurrent: 1 },
    tasks: parsed.tasks,
  });
  pushAll(
    problems,
    checkTaskGraph(plan.tasks, display, (index) => plan.tasks[index]?.source?.line),
  );
  return { plan, problems };
}

/**
 * Whether a `.json` file is a tasks file (Task Master's tasks.json, or a JSON the tasks readers explain)
 * rather than an ACA plan: a plan has a numeric `version` (or is the original tool's, with `task_specs`),
 * and `*.aca-plan.json` is always a plan. A file that cannot be read or parsed is left to the plan reader,
 * which reports why.
 */
export async function isTasksJson(file: string): Promise<boolean> {
  if (/\.aca-plan\.json$/i.test(file)) {
    return false;
  }
  try {
    const text = (await readRegularFile(file, MAX_TASKS_FILE_BYTES)).toString('utf8').replace(/^\uFEFF/, '');
    const data = jsonTooDeepAt(text) === undefined ? (JSON.parse(text) as unknown) : undefined;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return false;
    }
    return !(Object.hasOwn(data, 'version') && typeof (data as { version?: unknown }).version === 'number') && !isSeedPlan(data);
  } catch {
    return false; // unreadable or not JSON: not a Task Master file (the chosen reader reports the real error)
  }
}

/**
 * `currentTag` of Task Master's `.taskmaster/state.json` beside `.taskmaster/tasks/tasks.json`, when it is
 * a small regular file inside the workspace; anything else (none, unreadable, not JSON) means none.
 */
async function taskMasterCurrentTag(tasksFile: string, workspaceRoot: string): Promise<string | undefined> {
  const tasksDir = path.dirname(tasksFile);
  if (path.basename(tasksDir) !== 'tasks' || path.basename(path.dirname(tasksDir)) !== '.taskmaster') {
    return undefined;
  }
  const stateFile = path.join(path.dirname(tasksDir), 'state.json');
  const inside = path.relative(workspaceRoot, stateFile);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    return undefined;
  }
  try {
    const text = (await readRegularFile(stateFile, 64 * 1024, { noFollow: true })).toString('utf8');
    const state = jsonTooDeepAt(text, 8) === undefined ? (JSON.parse(text) as unknown) : undefined;
    const tag = typeof state === 'object' && state !== null && Object.hasOwn(state, 'currentTag') ? (state as { currentTag?: unknown }).currentTag : undefined;
    return typeof tag === 'string' && tag.trim() !== '' ? tag.trim() : undefined;
  } catch {
    return undefined; // no readable state.json: Task Master's default tag applies
  }
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** UTF-8 with or without a byte-order mark; CRLF line ends become LF so lines and titles match. */
function decodeText(bytes: Buffer): string {
  return bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n');
}

function displayPath(absolute: string, workspaceRoot: string): string {
  const relative = path.relative(workspaceRoot, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : absolute;
}

function emptyPlan(display: string, bytes: Buffer): Plan {
  return planSchema.parse({ version: PLAN_VERSION, name: display, source: { path: display, sha256: sha256(bytes) }, tasks: [] });
}
