/**
 * The prompt a task is sent with: its title and description, the context of its parents, the contents of
 * its references, the summaries of the tasks it depends on, the spec it comes from (specContext.ts), the
 * workspace root, and — on a retry — why the last attempt failed. Everything fits a size budget; references
 * are cut first, then spec context, then dependency summaries.
 * The prompt reaches the agent on stdin or as one argument, never through a shell.
 */
import { realpathOr } from '../common/paths';
import { readRegularFilePrefix } from '../common/untrustedFile';
import type { Plan, Task } from '../model/plan';
import { resolveReference } from '../parse/references';
import type { SessionState } from '../session/events';
import { buildSpecContext, type SpecContextCache, type SpecContextPart } from './specContext';

export const DEFAULT_PROMPT_BUDGET_CHARS = 60_000;
const REFERENCE_MAX_CHARS = 20_000;
/** A spec part is cut (rather than left out) only when at least this much of it fits. */
const MIN_SPEC_CUT_CHARS = 400;

export interface PromptContext {
  readonly plan: Plan;
  readonly state: SessionState;
  /** The workspace root: the agent's working folder. */
  readonly workspace: string;
  /** Where the tasks file is: references are relative to it. */
  readonly sourceDir: string;
  /** Why the previous attempt failed (verification output, the agent's error). */
  readonly previousFailure?: string;
  readonly budgetChars?: number;
  /** The plan's tasks by id, when the caller has them (building it per prompt costs a pass over the plan). */
  readonly tasksById?: ReadonlyMap<string, Task>;
  /** Spec files parsed once for the whole run (the engine keeps one); without it each prompt reads them anew. */
  readonly specCache?: SpecContextCache;
}

export async function buildTaskPrompt(task: Task, context: PromptContext): Promise<string> {
  const budget = context.budgetChars ?? DEFAULT_PROMPT_BUDGET_CHARS;
  const byId = context.tasksById ?? new Map(context.plan.tasks.map((t) => [t.id, t]));
  const head = promptHead(task, byId, context.workspace);
  const tail: string[] = [];
  if (context.previousFailure) {
    tail.push('', '## The previous attempt failed', context.previousFailure.trim(), 'Fix the cause, then finish the task.');
  }
  const deps = dependencySummaries(task, byId, context.state);
  const references = await readReferences(task, context);

  const fixed = [...head, ...tail].join('\n');
  let room = budget - fixed.length;
  const parts = [...head];
  if (deps.length > 0) {
    const block = ['', '## Finished work this task builds on', ...deps].join('\n');
    if (block.length <= room) {
      parts.push(block);
      room -= block.length;
    }
  }
  // The spec before the references: the acceptance criteria are what "done" means for this task, and the
  // agent cannot know the spec exists unless told; a referenced file is named by its path in the task's
  // own text, so the agent can still open it when it is left out here.
  const spec = await buildSpecContext(task, {
    plan: context.plan,
    workspace: context.workspace,
    sourceDir: context.sourceDir,
    ...(context.specCache ? { cache: context.specCache } : {}),
  });
  room = fitSpec(spec, parts, room, budget);
  for (const reference of references) {
    const block = `\n## Referenced file\n${reference.text}`;
    if (block.length <= room) {
      parts.push(block);
      room -= block.length;
    } else {
      const note = `\n(The referenced file ${reference.path} was left out to keep the prompt within ${budget} characters; open it if you need it.)`;
      parts.push(note);
      room -= note.length;
      break;
    }
  }
  parts.push(...tail);
  return parts.join('\n');
}

/** The task itself: title, description, where it stands in the plan, how it is checked, where to work. */
function promptHead(task: Task, byId: ReadonlyMap<string, Task>, workspace: string): string[] {
  const head: string[] = [`# Task ${task.id}: ${task.title}`];
  if (task.description.trim()) {
    head.push('', task.description.trim());
  }
  const parents: string[] = [];
  for (let parent = task.parent ? byId.get(task.parent) : undefined; parent; parent = parent.parent ? byId.get(parent.parent) : undefined) {
    parents.push(`- ${parent.title}${parent.description.trim() ? `: ${oneLine(parent.description)}` : ''}`);
  }
  parents.reverse();
  if (parents.length > 0 || task.section.length > 0) {
    head.push('', '## Where this task stands');
    if (task.section.length > 0) {
      head.push(`Section: ${task.section.join(' › ')}`);
    }
    for (const parent of parents) {
      head.push(parent);
    }
  }
  if (task.verify.length > 0) {
    head.push('', '## How it will be checked', ...task.verify.map((v) => `- \`${v}\` must succeed`));
  }
  head.push('', `Work in ${workspace}. Do only this task; other tasks of the plan are done separately.`);
  return head;
}

/** One line per dependency: its state and the summary its agent left. */
function dependencySummaries(task: Task, byId: ReadonlyMap<string, Task>, state: SessionState): string[] {
  const deps: string[] = [];
  for (const id of task.dependsOn) {
    const dep = byId.get(id);
    const run = state.tasks[id];
    if (dep) {
      deps.push(`- ${dep.id} ${dep.title} (${run?.state ?? 'pending'})${run?.summary ? `: ${oneLine(run.summary)}` : ''}`);
    }
  }
  return deps;
}

/**
 * The task's referenced files, each quoted up to its cut. Each reference is resolved again here, whatever
 * the plan says (`found` may come from a hostile plan file, or be stale): a regular file whose real path is
 * inside the workspace, read only up to the cut.
 */
async function readReferences(task: Task, context: PromptContext): Promise<Array<{ path: string; text: string }>> {
  const references: Array<{ path: string; text: string }> = [];
  // A workspace whose real path cannot be found (gone, unreadable) gets no references: they are left out.
  const root = task.references.length > 0 ? await realpathOr(context.workspace).catch(() => undefined) : undefined;
  for (const reference of task.references) {
    const { status, real } = root === undefined ? { status: 'missing' } : await resolveReference(context.sourceDir, reference.path, root);
    if (status !== 'file' || real === undefined) {
      continue;
    }
    // Up to 4 bytes a character: enough bytes for REFERENCE_MAX_CHARS characters, and no more.
    // An unreadable reference (swapped for a FIFO, a symlink, removed) is left out, as a missing one is.
    const read = await readRegularFilePrefix(real, REFERENCE_MAX_CHARS * 4, { noFollow: true }).catch(() => undefined);
    if (read !== undefined) {
      const text = read.bytes.toString('utf8');
      const cut = read.truncated || text.length > REFERENCE_MAX_CHARS ? `${text.slice(0, REFERENCE_MAX_CHARS)}\n… (cut: the file is longer)` : text;
      references.push({ path: reference.path, text: `### ${reference.path}\n\`\`\`\n${cut}\n\`\`\`` });
    }
  }
  return references;
}

/** Adds the spec parts that fit `room` to `parts` (the first that does not is cut, with a note); returns the room left. */
function fitSpec(spec: readonly SpecContextPart[], parts: string[], room: number, budget: number): number {
  for (const [i, part] of spec.entries()) {
    const block = `\n${part.text}`;
    if (block.length <= room) {
      parts.push(block);
      room -= block.length;
      continue;
    }
    const rest = [...new Set(spec.slice(i).map((p) => p.file))].join(', ');
    const note = `\n(Spec context cut here to keep the prompt within ${budget} characters; the rest is in ${rest}.)`;
    // A part that is a fenced file gets its fence closed after the cut, so the note is not inside it.
    const closing = part.fence ? `\n${part.fence}` : '';
    const cutAt = block.lastIndexOf('\n', room - note.length - closing.length - 1);
    if (cutAt > 0 && room - note.length - closing.length >= MIN_SPEC_CUT_CHARS) {
      parts.push(block.slice(0, cutAt) + closing);
      room -= cutAt + closing.length;
    }
    if (note.length <= room) {
      parts.push(note);
      room -= note.length;
    }
    break;
  }
  return room;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}
