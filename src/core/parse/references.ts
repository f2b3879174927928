/**
 * References from tasks to other files (`-> path`, `[text](path)`): resolved relative to the tasks file,
 * never outside the workspace, bounded in size, followed through referenced markdown files without
 * cycles. A missing file is a problem at the task's line, not a crash.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside, realpathOr } from '../common/paths';
import type { Task } from '../model/plan';
import type { Problem } from '../plan/problems';

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

/**
 * Sets `found` on every task's references and reports missing or out-of-workspace ones. `tasksFile` is
 * absolute; `workspaceRoot` bounds where references may point.
 */
export async function checkReferences(tasks: Task[], tasksFile: string, workspaceRoot: string, displayFile: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const root = await realpathOr(workspaceRoot);
  for (const task of tasks) {
    for (const reference of task.references) {
      const target = path.resolve(path.dirname(tasksFile), reference.path);
      const where = { file: displayFile, ...(task.source ? { line: task.source.line } : {}) };
      const real = await realpathOr(target);
      if (!isInside(root, real)) {
        reference.found = false;
        problems.push({ severity: 'error', code: 'reference-outside-workspace', message: `task ${task.id} refers to ${reference.path}, which is outside the workspace; it will not be read`, ...where });
        continue;
      }
      const info = await stat(real).catch(() => undefined);
      reference.found = info?.isFile() ?? false;
      if (!reference.found) {
        problems.push({ severity: 'warning', code: 'reference-missing', message: `task ${task.id} refers to ${reference.path}, which does not exist`, ...where });
      }
    }
  }
  return problems;
}

/** The contents of a task's references (and theirs, for markdown), for the agent's context. */
export async function loadReferenceContext(task: Task, tasksFile: string, workspaceRoot: string, limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS): Promise<ResolvedReference[]> {
  const root = await realpathOr(workspaceRoot);
  const seen = new Set<string>([await realpathOr(tasksFile)]);
  const out: ResolvedReference[] = [];
  let budget = limits.maxTotalBytes;

  const visit = async (from: string, refs: readonly string[], depth: number, via: string | undefined): Promise<void> => {
    for (const ref of refs) {
      if (budget <= 0) {
        return;
      }
      const real = await realpathOr(path.resolve(path.dirname(from), ref));
      if (seen.has(real) || !isInside(root, real)) {
        continue;
      }
      seen.add(real);
      const info = await stat(real).catch(() => undefined);
      if (!info?.isFile()) {
        continue;
      }
      const bytes = await readFile(real);
      const limit = Math.min(limits.maxFileBytes, budget);
      const truncated = bytes.length > limit;
      const content = decodeUtf8Prefix(bytes, limit);
      budget -= Buffer.byteLength(content);
      out.push({ path: ref, absolutePath: real, content, truncated, ...(via ? { via } : {}) });
      if (depth < limits.maxDepth && /\.(md|markdown)$/i.test(real)) {
        await visit(real, markdownLinkTargets(content), depth + 1, ref);
      }
    }
  };
  await visit(tasksFile, task.references.map((r) => r.path), 1, undefined);
  return out;
}

/** Local link targets and `-> path` references in markdown text (for nested references). */
function markdownLinkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const match of text.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const url = match[1] ?? '';
    if (url && !url.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(url)) {
      targets.push(decodeURIComponent(url.replace(/[?#].*$/, '')));
    }
  }
  for (const match of text.matchAll(/[ \t](?:->|→)[ \t]*(\S+)[ \t]*$/gm)) {
    targets.push(match[1]!);
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
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) {
    end--;
  }
  return bytes.subarray(0, end).toString('utf8');
}
