/**
 * References from tasks to other files (`-> path`, `[text](path)`, paths named in a task's line that
 * exist): resolved relative to the tasks file (then to the workspace root),
 * never outside the workspace, bounded in size, followed through referenced markdown files without
 * cycles. A missing file is a problem at the task's line, not a crash.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside, realpathOr } from '../common/paths';
import { readRegularFilePrefix } from '../common/untrustedFile';
import type { Task } from '../model/plan';
import type { Problem } from '../model/problems';
import { parseBlocks, walkBlocks } from './markdownBlocks';
import { arrowReference, decodeTarget, isLocalTarget } from './taskText';

export interface ReferenceLimits {
  /** Bytes read from one file. */
  readonly maxFileBytes: number;
  /** Bytes of context for one task, all references together. */
  readonly maxTotalBytes: number;
  /** How deep references inside referenced markdown files are followed. */
  readonly maxDepth: number;
}

export const DEFAULT_REFERENCE_LIMITS: ReferenceLimits = { maxFileBytes: 64 * 1024, maxTotalBytes: 256 * 1024, maxDepth: 3 };

export interface ResolvedReference {
  /** As written in the task. */
  readonly path: string;
  readonly absolutePath: string;
  readonly content: string;
  readonly truncated: boolean;
  /** The reference this one was found in, for nested references. */
  readonly via?: string;
}

export type ReferenceStatus = 'file' | 'outside' | 'missing' | 'not-file' | 'unresolvable';

/**
 * Where a reference written in a file of `fromDir` really leads, and whether it may be read: a regular
 * file whose real path is inside `root` (already a real path). Never throws: a symlink loop is
 * 'unresolvable'. Every reader of references goes through this, whatever a stored plan says.
 */
export async function resolveReference(fromDir: string, reference: string, root: string): Promise<{ status: ReferenceStatus; real?: string }> {
  let real: string;
  try {
    real = await realpathOr(path.resolve(fromDir, reference));
  } catch {
    return { status: 'unresolvable' }; // the error is the answer: reported to the user as unresolvable
  }
  if (!isInside(root, real)) {
    return { status: 'outside', real };
  }
  const info = await stat(real).catch(() => undefined); // the error is the answer: the reference is missing
  return { status: info === undefined ? 'missing' : info.isFile() ? 'file' : 'not-file', real };
}

/**
 * Sets `found` on every task's references and reports missing or out-of-workspace ones; the predicted
 * files that already exist become references too. `tasksFile` is absolute; `workspaceRoot` bounds
 * where references may point.
 */
export async function checkReferences(tasks: Task[], tasksFile: string, workspaceRoot: string, displayFile: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const root = await realpathOr(workspaceRoot);
  for (const task of tasks) {
    for (const reference of task.references) {
      const where = { file: displayFile, ...(task.source ? { line: task.source.line } : {}) };
      const { status } = await resolveFromTasksFile(tasksFile, reference.path, root);
      reference.found = status === 'file';
      if (status === 'outside') {
        problems.push({
          severity: 'error',
          code: 'reference-outside-workspace',
          message: `task ${task.id} refers to ${reference.path}, which is outside the workspace; it will not be read`,
          ...where,
        });
      } else if (status === 'not-file') {
        problems.push({
          severity: 'warning',
          code: 'reference-not-file',
          message: `task ${task.id} refers to ${reference.path}, which is not a regular file; it will not be read`,
          ...where,
        });
      } else if (status !== 'file') {
        const why = status === 'missing' ? 'does not exist' : 'cannot be resolved (too many symbolic links, or a loop)';
        problems.push({ severity: 'warning', code: 'reference-missing', message: `task ${task.id} refers to ${reference.path}, which ${why}`, ...where });
      }
    }
    await addExistingFilesAsReferences(task, tasksFile, root);
  }
  return problems;
}

/**
 * A path the task names that already exists in the workspace (relative to the tasks file, then to the
 * workspace root) is also a reference, read into the prompt; it stays in `files` (the task changes it:
 * the scheduler keeps tasks on one file apart). A path that does not exist yet is only a predicted file,
 * never a "missing reference" warning.
 */
async function addExistingFilesAsReferences(task: Task, tasksFile: string, root: string): Promise<void> {
  for (const file of task.files) {
    if (!task.references.some((r) => r.path === file) && (await resolveFromTasksFile(tasksFile, file, root)).status === 'file') {
      task.references.push({ path: file, found: true });
    }
  }
}

/**
 * A path written in a tasks file: relative to the file, else (a missing file only) to the workspace root,
 * as task files often name `src/…` from a `docs/` or `specs/…` folder.
 */
export async function resolveFromTasksFile(tasksFile: string, reference: string, root: string): Promise<{ status: ReferenceStatus; real?: string }> {
  const beside = await resolveReference(path.dirname(tasksFile), reference, root);
  if (beside.status !== 'missing' || path.isAbsolute(reference)) {
    return beside;
  }
  const fromRoot = await resolveReference(root, reference, root);
  return fromRoot.status === 'file' ? fromRoot : beside;
}

/** The contents of a task's references (and theirs, for markdown), for the agent's context. */
export async function loadReferenceContext(
  task: Task,
  tasksFile: string,
  workspaceRoot: string,
  limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS,
): Promise<ResolvedReference[]> {
  const root = await realpathOr(workspaceRoot);
  const seen = new Set<string>([await realpathOr(tasksFile)]);
  const out: ResolvedReference[] = [];
  let budget = limits.maxTotalBytes;

  const visit = async (from: string, refs: readonly string[], depth: number, via: string | undefined): Promise<void> => {
    for (const ref of refs) {
      if (budget <= 0) {
        return;
      }
      const { status, real } = depth === 1 ? await resolveFromTasksFile(from, ref, root) : await resolveReference(path.dirname(from), ref, root);
      if (real === undefined || seen.has(real)) {
        continue;
      }
      seen.add(real);
      if (status !== 'file') {
        continue;
      }
      const limit = Math.min(limits.maxFileBytes, budget);
      // No symlink is followed here: `real` has none, unless one was swapped in since it was resolved.
      // A file that cannot be read now (gone, swapped for a link, not regular) is left out of the context, as below.
      const read = await readRegularFilePrefix(real, limit + 1, { noFollow: true }).catch(() => undefined);
      if (read === undefined) {
        continue;
      }
      const truncated = read.truncated || read.bytes.length > limit;
      const content = decodeUtf8Prefix(read.bytes, limit);
      budget -= Buffer.byteLength(content);
      out.push({ path: ref, absolutePath: real, content, truncated, ...(via ? { via } : {}) });
      if (depth < limits.maxDepth && /\.(md|markdown)$/i.test(real)) {
        await visit(real, markdownLinkTargets(content), depth + 1, ref);
      }
    }
  };
  await visit(
    tasksFile,
    task.references.map((r) => r.path),
    1,
    undefined,
  );
  return out;
}

/**
 * Local link targets and `-> path` references in markdown text (for nested references), found by the
 * same parser and rules as in tasks files (hand-written patterns here were quadratic, and a bad `%`
 * escape threw).
 */
function markdownLinkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const block of walkBlocks(parseBlocks(text))) {
    if (block.type === 'paragraph') {
      for (const url of block.links) {
        if (isLocalTarget(url)) {
          targets.push(decodeTarget(url));
        }
      }
    }
  }
  for (const line of text.split('\n')) {
    const arrow = arrowReference(line);
    if (arrow) {
      targets.push(arrow.target);
    }
  }
  return targets;
}

/** Decodes at most `limit` bytes without cutting a UTF-8 sequence in half. */
function decodeUtf8Prefix(bytes: Buffer, limit: number): string {
  if (bytes.length <= limit) {
    return bytes.toString('utf8');
  }
  let end = limit;
  // Step back over continuation bytes (10xxxxxx) to a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) {
    end--;
  }
  return bytes.subarray(0, end).toString('utf8');
}
