/**
 * What the user points ACA at: a tasks file, or a folder that holds one (a Kiro or spec-kit feature
 * folder, `.taskmaster/`, a project). The folder is searched in a few fixed places only, and a file is
 * chosen only when exactly one candidate is there; otherwise the error lists what was found.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { PlanError } from '../model/problems';

export interface FoundTasksFile {
  /** Absolute path of the tasks file. */
  readonly file: string;
  /** The folder it was found in, when the user named a folder. */
  readonly folder?: string;
}

/** Names that are a task list by themselves, in the order a message lists them. */
const TASKS_FILE_NAMES = ['tasks.md'];
/** Names that are a task list when there is nothing more specific. */
const FALLBACK_FILE_NAMES = ['todo.md', 'plan.md', 'roadmap.md'];
/** Task Master's file inside `.taskmaster/`. */
const TASK_MASTER_FILE = path.join('tasks', 'tasks.json');
/** Folders of feature specs in a project: `<folder>/<feature>/tasks.md`. */
const SPEC_FOLDERS = [path.join('.kiro', 'specs'), 'specs'];

/**
 * `target` itself when it is not a folder (reading it says what is wrong with it); else the one tasks file
 * in it. Throws PlanError (`tasks-file-not-found`, `tasks-file-ambiguous`) naming the folder and the candidates.
 */
export async function findTasksFile(target: string): Promise<FoundTasksFile> {
  const absolute = path.resolve(target);
  const info = await stat(absolute).catch(() => undefined); // not a folder we can see: read it as a file (its error follows)
  if (!info?.isDirectory()) {
    return { file: absolute };
  }
  const candidates = await candidatesIn(absolute);
  const [only] = candidates;
  if (only !== undefined && candidates.length === 1) {
    return { file: only, folder: absolute };
  }
  const listed = candidates.map((c) => path.relative(absolute, c)).join(', ');
  throw new PlanError([
    candidates.length === 0
      ? {
          severity: 'error',
          code: 'tasks-file-not-found',
          message:
            'a folder with no tasks file ACA knows: expected tasks.md (a Kiro or spec-kit feature folder), .taskmaster/tasks/tasks.json, or one TODO.md / PLAN.md; name the file instead',
          file: absolute,
        }
      : {
          severity: 'error',
          code: 'tasks-file-ambiguous',
          message: `a folder with ${candidates.length} tasks files: ${listed}; name the one to read`,
          file: absolute,
        },
  ]);
}

/** The best tier of candidates that has any: task files proper, then TODO/PLAN files, then feature folders. */
async function candidatesIn(folder: string): Promise<string[]> {
  if (path.basename(folder) === '.taskmaster') {
    return (await isRegularFile(path.join(folder, TASK_MASTER_FILE))) ? [path.join(folder, TASK_MASTER_FILE)] : [];
  }
  const names = await readdir(folder).catch(() => [] as string[]);
  const own = names.filter((name) => TASKS_FILE_NAMES.includes(name.toLowerCase()) || /\.tasks\.md$/i.test(name)).map((name) => path.join(folder, name));
  if (names.includes('.taskmaster')) {
    own.push(path.join(folder, '.taskmaster', TASK_MASTER_FILE));
  }
  const first = await regularFiles(own);
  if (first.length > 0) {
    return first;
  }
  const fallback = await regularFiles(names.filter((name) => FALLBACK_FILE_NAMES.includes(name.toLowerCase())).map((name) => path.join(folder, name)));
  if (fallback.length > 0) {
    return fallback;
  }
  // A project with its feature specs (or the specs folder itself): each feature's tasks.md.
  const specFolders = path.basename(folder) === 'specs' ? [folder] : SPEC_FOLDERS.map((name) => path.join(folder, name));
  const nested: string[] = [];
  for (const specs of specFolders) {
    const features = await readdir(specs).catch(() => [] as string[]);
    nested.push(...features.sort().map((feature) => path.join(specs, feature, 'tasks.md')));
  }
  return regularFiles(nested);
}

async function regularFiles(files: readonly string[]): Promise<string[]> {
  const kept: string[] = [];
  for (const file of files) {
    if (await isRegularFile(file)) {
      kept.push(file);
    }
  }
  return kept;
}

/**
 * Only a regular file, not a link: a file ACA picks by itself must not lead out of the folder the user
 * named (a repository's `tasks.md` may be a link to a private file).
 */
async function isRegularFile(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined))?.isFile() === true; // absent: not a candidate
}

/**
 * The project a tasks file belongs to: the nearest folder above it that has a `.git` (a folder, or a file
 * in a worktree or submodule), found without running git; undefined when there is none.
 */
export async function gitRootOf(file: string): Promise<string | undefined> {
  return gitRootFrom(path.dirname(path.resolve(file)));
}

/** The nearest folder at or above `start` that holds a `.git` (folder or file). */
export async function gitRootFrom(start: string): Promise<string | undefined> {
  let folder = path.resolve(start);
  for (;;) {
    if (
      await lstat(path.join(folder, '.git')).then(
        () => true,
        () => false,
      )
    ) {
      return folder;
    }
    const parent = path.dirname(folder);
    if (parent === folder) {
      return undefined;
    }
    folder = parent;
  }
}
