/**
 * The spec a task comes from, for its prompt. A Kiro or cc-sdd task cites acceptance criteria
 * (`_Requirements: 2.1, 2.3_`, `**Validates: Requirements 1.3**`): their text, with their requirement's title
 * and user story, comes from the `requirements.md` beside the tasks file, and the sections of `design.md`
 * that speak of the task's files or title words (else the design's overview). A spec-kit task gets its
 * feature's `spec.md`, `plan.md`, `data-model.md` and `contracts/`. Every file is resolved inside the
 * workspace and read bounded; a missing or unreadable one is left out. What is parsed once per spec file
 * is cached by real path, size and modification time, for the many prompts of one run.
 */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { realpathOr } from '../common/paths';
import { readRegularFilePrefix } from '../common/untrustedFile';
import type { Plan, Task } from '../model/plan';
import { resolveReference } from '../parse/references';
import { parseSections, relevantSections } from './designSections';
import { citedRequirementIds, parseRequirements, renderCriteria } from './kiroRequirements';
import { decodeText, fenceFor } from './specText';

/** One piece of spec context, in the order it should be kept when the prompt budget is short. */
export interface SpecContextPart {
  /** Markdown, starting with its own `##` heading. */
  readonly text: string;
  /** The spec file it comes from, relative to the workspace: named when the part is cut or left out. */
  readonly file: string;
  /** The code fence the part's file is quoted in, if it is: closed again when the part is cut. */
  readonly fence?: string;
}

/** Bytes read from one spec file: a spec is prose a person reviewed, far below this. */
const SPEC_FILE_MAX_BYTES = 512 * 1024;
const SPEC_KIT_FILE_MAX_CHARS = 12_000;
const SPEC_KIT_MAX_CHARS = 32_000;
const CONTRACTS_MAX_FILES = 8;
const CACHE_MAX_ENTRIES = 64;

/**
 * Spec files parsed once per run: the engine builds a prompt for every task, and the tasks of one spec
 * share its files. An entry is used again only while the file keeps its size and modification time.
 */
export class SpecContextCache {
  private readonly _entries = new Map<string, { size: number; mtimeMs: number; value: unknown }>();
  /** Worked out once per run: whether a plan comes from a spec does not change while it runs. */
  private readonly _once = new Map<string, Promise<unknown>>();

  /** `compute()` the first time `key` is asked for; the same answer after (a prompt per task reuses it). */
  once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let value = this._once.get(key) as Promise<T> | undefined;
    if (value === undefined) {
      value = compute();
      this._once.set(key, value);
    }
    return value;
  }

  /** `real` must already be resolved inside the workspace (no symlink left in it). */
  async get<T>(real: string, kind: string, parse: (text: string, truncated: boolean) => T): Promise<T | undefined> {
    const key = `${kind}\0${real}`;
    const info = await stat(real).catch(() => undefined); // gone or unreadable: not cached, and the read below says so
    const cached = this._entries.get(key);
    if (info && cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) {
      return cached.value as T;
    }
    let opened: Stats | undefined;
    // A spec file that cannot be read (swapped for a FIFO or a symlink, removed) is left out, as a missing one is.
    const read = await readRegularFilePrefix(real, SPEC_FILE_MAX_BYTES, { noFollow: true, check: (i) => (opened = i) }).catch(() => undefined);
    if (read === undefined || opened === undefined) {
      return undefined;
    }
    const value = parse(decodeText(read.bytes, read.truncated), read.truncated);
    if (this._entries.size >= CACHE_MAX_ENTRIES) {
      this._entries.clear();
    }
    this._entries.set(key, { size: opened.size, mtimeMs: opened.mtimeMs, value });
    return value;
  }
}

export interface SpecContextInput {
  readonly plan: Plan;
  readonly workspace: string;
  /** The tasks file's folder: the spec's files sit beside it. */
  readonly sourceDir: string;
  readonly cache?: SpecContextCache;
}

/** The spec context of `task`, most important first; none when the task does not come from a spec. */
export async function buildSpecContext(task: Task, input: SpecContextInput): Promise<SpecContextPart[]> {
  const cache = input.cache ?? new SpecContextCache();
  // A workspace whose real path cannot be found (gone, unreadable) gets no spec context: nothing can be read inside it.
  const root = await cache.once(`root\0${input.workspace}`, () => realpathOr(input.workspace).catch(() => undefined));
  if (root === undefined) {
    return [];
  }
  const spec = new SpecFolder(input.sourceDir, root, input.workspace, cache);
  // Without this, every prompt of a plain checklist looked for requirements.md, spec.md and plan.md again.
  const source = input.plan.source;
  const kind = await cache.once(`kind\0${input.sourceDir}\0${source?.path ?? ''}\0${source?.format ?? ''}`, () => specKind(input.plan, spec));
  if (kind === 'kiro') {
    return kiroContext(task, spec);
  }
  if (kind === 'spec-kit') {
    return specKitContext(spec);
  }
  return [];
}

/** Which kind of spec the plan's tasks file belongs to: from the detected format, else from its neighbours. */
async function specKind(plan: Plan, spec: SpecFolder): Promise<'kiro' | 'spec-kit' | undefined> {
  const format = plan.source?.format;
  if (format === 'kiro' || format === 'cc-sdd') {
    return 'kiro';
  }
  if (format === 'spec-kit') {
    return 'spec-kit';
  }
  if (plan.source === null) {
    // A plan written by hand or by a model: its "source folder" is the workspace, not a spec.
    return undefined;
  }
  if (await spec.has('requirements.md')) {
    return 'kiro';
  }
  const tasksFile = path.basename(plan.source.path).toLowerCase();
  if (tasksFile === 'tasks.md' && ((await spec.has('spec.md')) || (await spec.has('plan.md')))) {
    return 'spec-kit';
  }
  return undefined;
}

/** The folder of a spec, read only inside the workspace. */
class SpecFolder {
  constructor(
    readonly dir: string,
    private readonly _root: string,
    private readonly _workspace: string,
    private readonly _cache: SpecContextCache,
  ) {}

  async has(name: string): Promise<boolean> {
    return (await resolveReference(this.dir, name, this._root)).status === 'file';
  }

  /** The parsed file, or undefined when it is missing, outside the workspace, not a regular file or unreadable. */
  async read<T>(name: string, kind: string, parse: (text: string, truncated: boolean) => T, dir = this.dir): Promise<T | undefined> {
    const { status, real } = await resolveReference(dir, name, this._root);
    if (status !== 'file' || real === undefined) {
      return undefined;
    }
    return this._cache.get(real, kind, parse);
  }

  /** The regular files of a sub-folder (inside the workspace), by name, at most `max`. */
  async files(folder: string, max: number): Promise<Array<{ name: string; dir: string }>> {
    const { status, real } = await resolveReference(this.dir, folder, this._root);
    if (status !== 'not-file' || real === undefined) {
      return [];
    }
    const entries = await readdir(real, { withFileTypes: true }).catch(() => []); // an unreadable folder adds no files
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort()
      .slice(0, max)
      .map((name) => ({ name, dir: real }));
  }

  /** How the prompt names a file of the spec: relative to the workspace, as the agent sees it. */
  display(name: string, dir = this.dir): string {
    return path.relative(this._workspace, path.join(dir, name)).split(path.sep).join('/') || name;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Kiro and cc-sdd: requirements (kiroRequirements.ts) and design (designSections.ts)

async function kiroContext(task: Task, spec: SpecFolder): Promise<SpecContextPart[]> {
  const parts: SpecContextPart[] = [];
  const cited = citedRequirementIds(task);
  if (cited.length > 0) {
    const requirements = await spec.read('requirements.md', 'requirements', (text) => parseRequirements(text));
    if (requirements !== undefined) {
      parts.push({ text: renderCriteria(cited, requirements, spec.display('requirements.md')), file: spec.display('requirements.md') });
    }
  }
  const design = await spec.read('design.md', 'design', (text) => parseSections(text));
  if (design !== undefined) {
    const chosen = relevantSections(design, task, cited);
    if (chosen.text) {
      const what = chosen.relevant ? 'the parts of the design about this task' : 'the design overview';
      parts.push({ text: `## From the design (${spec.display('design.md')}): ${what}\n\n${chosen.text}`, file: spec.display('design.md') });
    }
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------------------
// spec-kit

/** spec.md first (what the feature must do and how it is accepted), then how: plan, data model, contracts. */
const SPEC_KIT_FILES = ['spec.md', 'plan.md', 'data-model.md'];

async function specKitContext(spec: SpecFolder): Promise<SpecContextPart[]> {
  const parts: SpecContextPart[] = [];
  let room = SPEC_KIT_MAX_CHARS;
  const add = (file: string, text: string, truncated: boolean): void => {
    const body = truncated || text.length > SPEC_KIT_FILE_MAX_CHARS ? `${text.slice(0, SPEC_KIT_FILE_MAX_CHARS)}\n… (cut: the file is longer)` : text;
    const fence = fenceFor(body);
    const part = `## From the feature's spec: ${file}\n${fence}\n${body}\n${fence}`;
    if (part.length <= room && body.trim()) {
      parts.push({ text: part, file, fence });
      room -= part.length;
    }
  };
  for (const name of SPEC_KIT_FILES) {
    const read = await spec.read(name, 'text', (text, truncated) => ({ text, truncated }));
    if (read) {
      add(spec.display(name), read.text, read.truncated);
    }
  }
  for (const { name, dir } of await spec.files('contracts', CONTRACTS_MAX_FILES)) {
    const read = await spec.read(name, 'text', (text, truncated) => ({ text, truncated }), dir);
    if (read) {
      add(spec.display(name, dir), read.text, read.truncated);
    }
  }
  return parts;
}
