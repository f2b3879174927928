/**
 * A tasks file (markdown or plain text) to a validated plan: parse, check references against the
 * workspace, check the task graph. Problems come back with the plan; only errors make it unusable.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readRegularFile, UnsafeFileError } from '../common/untrustedFile';
import { PLAN_VERSION, planSchema, type Plan, type StrategyMode } from '../model/plan';
import { pushAll, type ParsedTasksFile } from '../parse/markdownTasks';
import { readTasksText } from '../parse/readTasks';
import { checkReferences } from '../parse/references';
import { checkTaskGraph } from '../tasks/graph';
import type { Problem } from './problems';

export interface TasksFilePlan {
  readonly plan: Plan;
  readonly problems: Problem[];
}

export interface BuildPlanOptions {
  /** References may not point outside this folder. Default: the tasks file's folder. */
  readonly workspaceRoot?: string;
  readonly strategy?: { mode: StrategyMode; maxConcurrent: number };
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
    const message = error.problem === 'too-large' ? `the file is over ${MAX_TASKS_FILE_BYTES} bytes, the limit for tasks files; it was not read` : 'not a regular file (a device, a FIFO, a socket or a folder); it was not read';
    return { plan: emptyPlan(display, Buffer.alloc(0)), problems: [{ severity: 'error', code: error.problem === 'too-large' ? 'file-too-large' : 'file-not-regular', message, file: display }] };
  }
  return planFromTasksText(bytes, absolute, workspaceRoot, options);
}

export async function planFromTasksText(bytes: Buffer, absolute: string, workspaceRoot: string, options: BuildPlanOptions = {}): Promise<TasksFilePlan> {
  const display = displayPath(absolute, workspaceRoot);
  const text = decodeText(bytes);
  let parsed: ParsedTasksFile;
  try {
    const siblings = await readdir(path.dirname(absolute)).catch(() => []);
    parsed = readTasksText(text, { file: display, siblings });
  } catch (error) {
    // Whatever a hostile file still provokes is a problem with this file, not an "unexpected error".
    const message = `could not be parsed: ${error instanceof Error ? error.message : String(error)}`;
    return { plan: emptyPlan(display, bytes), problems: [{ severity: 'error', code: 'file-unparsable', message, file: display }] };
  }
  const problems = [...parsed.problems];
  pushAll(problems, await checkReferences(parsed.tasks, absolute, workspaceRoot, display));
  const plan = planSchema.parse({
    version: PLAN_VERSION,
    name: parsed.name,
    source: { path: display, format: parsed.format, sha256: sha256(bytes) },
    strategy: options.strategy ?? { mode: 'sequential', maxConcurrent: 1 },
    tasks: parsed.tasks,
  });
  pushAll(problems, checkTaskGraph(plan.tasks, display, (index) => plan.tasks[index]?.source?.line));
  return { plan, problems };
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** UTF-8 with or without a byte-order mark; CRLF line ends become LF so lines and titles match. */
function decodeText(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

function displayPath(absolute: string, workspaceRoot: string): string {
  const relative = path.relative(workspaceRoot, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : absolute;
}

function emptyPlan(display: string, bytes: Buffer): Plan {
  return planSchema.parse({ version: PLAN_VERSION, name: display, source: { path: display, sha256: sha256(bytes) }, tasks: [] });
}
