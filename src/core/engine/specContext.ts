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
import { parseBlocks, type Block, type ListItemBlock } from '../parse/markdownBlocks';
import { resolveReference } from '../parse/references';

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
const CRITERION_MAX_CHARS = 2_000;
const STORY_MAX_CHARS = 800;
const DESIGN_MAX_CHARS = 12_000;
const DESIGN_SECTION_MAX_CHARS = 6_000;
const DESIGN_MAX_SECTIONS = 6;
const SPEC_KIT_FILE_MAX_CHARS = 12_000;
const SPEC_KIT_MAX_CHARS = 32_000;
const CONTRACTS_MAX_FILES = 8;
/** A cited range such as `1.1-1.9` is expanded up to this many criteria. */
const RANGE_MAX = 50;
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
    const info = await stat(real).catch(() => undefined);
    const cached = this._entries.get(key);
    if (info && cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) {
      return cached.value as T;
    }
    let opened: Stats | undefined;
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
    const entries = await readdir(real, { withFileTypes: true }).catch(() => []);
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
// Kiro and cc-sdd

export interface Requirement {
  /** `1`, `2`… as in `### Requirement 2`. */
  readonly id: string;
  readonly heading: string;
  /** The paragraph(s) under the heading before its sub-headings: Kiro's `**User Story:** …`. */
  readonly story: string;
  readonly criteria: ReadonlyArray<{ readonly number: number; readonly text: string }>;
}

/** Words a requirement heading starts with (lowercased), in the languages Kiro and cc-sdd write specs in. */
const REQUIREMENT_WORDS = new Set(['requirement', 'requirements', 'req', 'fr', 'nfr', 'r', '要件', '要求', '需求', '要求事項', 'requisito', 'requisitos', 'requisiti', 'exigence', 'exigences', 'anforderung', 'anforderungen', 'требование', 'требования', '요구사항']);
/** What an acceptance-criteria heading contains (lowercased). */
const ACCEPTANCE_WORDS = ['acceptance', 'criteria', '受け入れ', '受入', '验收', '驗收', '수락', '인수', 'критерии', 'akzeptanz', 'aceptación', 'aceitação', 'acceptation', 'accettazione', 'critères', 'criterios'];
/** `Requirement 2`, `要件2`, `FR-3`, `2.`: a word (or none), then the number, not followed by `.digit`. */
const REQUIREMENT_HEADING = /^(?:(\p{L}[\p{L}\p{M}]*)[ \t]*[-#]?[ \t]*)?(\d{1,4})(?![.,]?\d)/u;
/** An explicit criterion number at the start of a line: `1.3`, `**1.3**`, `AC-1.3:`. */
const EXPLICIT_CRITERION = /^[*_]{0,2}(?:AC[- ]?)?(\d{1,4})\.(\d{1,4})\.?[*_]{0,2}[:.)]?(?=\s|$)/i;
const LIST_MARKER = /^[ \t]*(?:[-*+]|(\d{1,9})[.)])(?:[ \t]+|$)/;

/** The requirements of a Kiro / cc-sdd `requirements.md`, by id. One pass over its blocks. */
export function parseRequirements(text: string): Map<string, Requirement> {
  const lines = text.split('\n');
  const blocks = parseBlocks(text);
  const headings: Array<{ index: number; depth: number; id: string; strong: boolean }> = [];
  blocks.forEach((block, index) => {
    if (block.type === 'heading') {
      const match = REQUIREMENT_HEADING.exec(plainText(block.text));
      const word = match?.[1]?.toLowerCase();
      if (match && (word === undefined || REQUIREMENT_WORDS.has(word))) {
        headings.push({ index, depth: block.depth, id: String(Number(match[2])), strong: word !== undefined });
      }
    }
  });
  // `### Requirement 1` headings when there are any; otherwise numbered headings (`### 1. Overview`).
  const strong = headings.some((h) => h.strong);
  const requirements = new Map<string, Requirement>();
  for (const heading of headings) {
    if ((strong && !heading.strong) || requirements.has(heading.id)) {
      continue;
    }
    const end = sectionEnd(blocks, heading.index, heading.depth);
    requirements.set(heading.id, readRequirement(heading.id, blocks, heading.index, end, lines));
  }
  return requirements;
}

function readRequirement(id: string, blocks: readonly Block[], start: number, end: number, lines: readonly string[]): Requirement {
  const heading = blocks[start] as Extract<Block, { type: 'heading' }>;
  const story: string[] = [];
  let i = start + 1;
  for (; i < end && blocks[i]!.type !== 'heading'; i++) {
    const block = blocks[i]!;
    if (block.type === 'paragraph') {
      story.push(block.text);
    }
  }
  // The criteria are under an "Acceptance Criteria" heading when there is one, else anywhere in the section.
  let from = start + 1;
  let to = end;
  for (let j = i; j < end; j++) {
    const block = blocks[j]!;
    if (block.type === 'heading' && ACCEPTANCE_WORDS.some((w) => block.text.toLowerCase().includes(w))) {
      from = j + 1;
      to = sectionEnd(blocks, j, block.depth);
      break;
    }
  }
  const criteria: Array<{ number: number; text: string }> = [];
  const numbers = new Set<number>();
  const add = (number: number, text: string): void => {
    if (!numbers.has(number)) {
      numbers.add(number);
      criteria.push({ number, text: bounded(text, CRITERION_MAX_CHARS) });
    }
  };
  let next = 1;
  for (let j = from; j < to; j++) {
    const block = blocks[j]!;
    if (block.type === 'list') {
      for (const item of block.items) {
        const { text, marker } = itemText(item, lines);
        const explicit = explicitNumber(text, id);
        const number = explicit ?? (block.ordered && marker !== undefined ? marker : next);
        add(number, text);
        next = number + 1;
      }
    } else if (block.type === 'paragraph') {
      // cc-sdd sometimes numbers criteria itself, one a line: `1.3 WHEN … THEN … SHALL …`.
      let current: { number: number; lines: string[] } | undefined;
      const flush = (): void => {
        if (current) {
          add(current.number, current.lines.join('\n'));
          next = current.number + 1;
        }
      };
      for (const line of block.text.split('\n')) {
        const explicit = explicitNumber(line, id);
        if (explicit !== undefined) {
          flush();
          current = { number: explicit, lines: [line.trim()] };
        } else {
          current?.lines.push(line.trim());
        }
      }
      flush();
    }
  }
  criteria.sort((a, b) => a.number - b.number);
  return { id, heading: heading.text.trim(), story: bounded(story.join('\n\n').trim(), STORY_MAX_CHARS), criteria };
}

/** The number of a criterion written `<requirement>.<n>` at the start of its text, for this requirement. */
function explicitNumber(text: string, requirement: string): number | undefined {
  const match = EXPLICIT_CRITERION.exec(text.trimStart().slice(0, 40));
  return match && String(Number(match[1])) === requirement ? Number(match[2]) : undefined;
}

/** A list item's source lines, its marker removed and its indentation taken off; its ordered number, if any. */
function itemText(item: ListItemBlock, lines: readonly string[]): { text: string; marker?: number } {
  const first = lines[item.start] ?? '';
  const marker = LIST_MARKER.exec(first);
  const indent = marker ? marker[0].length : first.length - first.trimStart().length;
  const out = [first.slice(indent)];
  for (let i = item.start + 1; i < item.end; i++) {
    const line = lines[i]!;
    const leading = line.length - line.trimStart().length;
    out.push(line.slice(Math.min(indent, leading)));
  }
  const text = out.join('\n').trimEnd();
  return marker?.[1] !== undefined ? { text, marker: Number(marker[1]) } : { text };
}

/** The requirement ids a task cites (`2.1`, or `2` for a whole requirement), from its requirements and validates. */
export function citedRequirementIds(task: Pick<Task, 'requirements' | 'validates'>): string[] {
  const ids = new Set<string>();
  const push = (id: string): void => {
    ids.add(id);
  };
  for (const raw of [...task.requirements, ...task.validates]) {
    // `Requirements 1.3` (the Validates line as older readers kept it), `Req. 2`, `要件1.2`.
    const value = raw.trim().replace(/^[\p{L}]+\.?[ \t]*/u, '');
    const range = /^(\d{1,4})\.(\d{1,4})[ \t]*[-–][ \t]*(?:(\d{1,4})\.)?(\d{1,4})$/.exec(value);
    if (range && (range[3] === undefined || range[3] === range[1])) {
      const last = Math.min(Number(range[4]), Number(range[2]) + RANGE_MAX - 1);
      for (let n = Number(range[2]); n <= last; n++) {
        push(`${Number(range[1])}.${n}`);
      }
      continue;
    }
    const single = /^(\d{1,4})(?:\.(\d{1,4}))?$/.exec(value);
    if (single) {
      push(single[2] === undefined ? String(Number(single[1])) : `${Number(single[1])}.${Number(single[2])}`);
    }
  }
  return [...ids];
}

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

function renderCriteria(cited: readonly string[], requirements: ReadonlyMap<string, Requirement>, file: string): string {
  const out = [`## Acceptance criteria this task must meet (from ${file})`];
  const missing: string[] = [];
  // Requirement by requirement, in the order first cited; each with its title and user story.
  const order: string[] = [];
  const wanted = new Map<string, Set<number> | 'all'>();
  const numbersOf = new Map<string, Set<number>>();
  for (const id of cited) {
    const [req, criterion] = id.split('.');
    const requirement = requirements.get(req!);
    if (requirement && !numbersOf.has(req!)) {
      numbersOf.set(req!, new Set(requirement.criteria.map((c) => c.number)));
    }
    if (!requirement || (criterion !== undefined && !numbersOf.get(req!)!.has(Number(criterion)))) {
      missing.push(id);
      continue;
    }
    if (!wanted.has(req!)) {
      order.push(req!);
      wanted.set(req!, new Set());
    }
    const current = wanted.get(req!)!;
    if (criterion === undefined) {
      wanted.set(req!, 'all');
    } else if (current !== 'all') {
      current.add(Number(criterion));
    }
  }
  for (const req of order) {
    const requirement = requirements.get(req)!;
    const which = wanted.get(req)!;
    out.push('', `### ${requirement.heading}`);
    if (requirement.story) {
      out.push(requirement.story);
    }
    for (const criterion of requirement.criteria) {
      if (which === 'all' || which.has(criterion.number)) {
        out.push(`- ${req}.${criterion.number} ${stripOwnNumber(criterion.text, req)}`);
      }
    }
  }
  if (missing.length > 0) {
    const more = missing.length > 20 ? ` and ${missing.length - 20} more` : '';
    out.push('', `Cited but not found in ${file}: ${missing.slice(0, 20).join(', ')}${more}.`);
  }
  return out.join('\n');
}

/** `1.3 WHEN …` written by cc-sdd loses its own number, which the prompt writes once. */
function stripOwnNumber(text: string, requirement: string): string {
  const trimmed = text.trimStart();
  const match = EXPLICIT_CRITERION.exec(trimmed.slice(0, 40));
  return match && String(Number(match[1])) === requirement ? trimmed.slice(match[0].length).trimStart() : text;
}

// ---------------------------------------------------------------------------------------------------------
// design.md

interface Section {
  readonly heading: string;
  /** The section's source, its heading line included, up to the next heading of any level. */
  readonly text: string;
  /** Lowercased, for matching. */
  readonly lower: string;
}

/** A markdown file cut at every heading: each section runs to the next heading. */
function parseSections(text: string): Section[] {
  const lines = text.split('\n');
  // The text before the first heading is a section too (a design written without headings).
  const starts: Array<{ line: number; body: number; heading: string }> = [{ line: 0, body: 0, heading: '' }];
  for (const block of parseBlocks(text)) {
    if (block.type === 'heading') {
      starts.push({ line: block.start, body: block.end, heading: block.text.trim() });
    }
  }
  const sections: Section[] = [];
  starts.forEach((start, i) => {
    const end = starts[i + 1]?.line ?? lines.length;
    if (lines.slice(start.body, end).join('\n').trim()) {
      const source = lines.slice(start.line, end).join('\n').trim();
      sections.push({ heading: start.heading, text: source, lower: source.toLowerCase() });
    }
  });
  return sections;
}

const STOP_WORDS = new Set([
  'with', 'from', 'that', 'this', 'into', 'each', 'also', 'only', 'when', 'then', 'than', 'them', 'they', 'their', 'have', 'will', 'should',
  'must', 'shall', 'make', 'makes', 'ensure', 'implement', 'implementation', 'create', 'write', 'update', 'add', 'adds', 'using', 'use',
  'file', 'files', 'test', 'tests', 'unit', 'task', 'tasks', 'support', 'new', 'all', 'and', 'for', 'the', 'set', 'setup', 'code', 'based',
  'checkpoint', 'ask', 'user', 'questions', 'arise', 'pass', 'passes', 'ensure', 'properly', 'correctly', 'basic', 'initial', 'core',
]);

/** The sections of the design that speak of the task; else its overview. Bounded, in document order. */
function relevantSections(sections: readonly Section[], task: Task, cited: readonly string[]): { text: string; relevant: boolean } {
  // The title says what the task is about; its description (the bullets under it) adds the particulars.
  const words = keyWords(`${task.title}\n${task.description.slice(0, 1_000)}`);
  const files = [...task.files, ...task.references.map((r) => r.path)].map((f) => f.toLowerCase());
  const names = [...new Set(files.flatMap((f) => [f, f.split('/').pop()!]).filter((f) => f.length >= 3))].slice(0, 40);
  const citations = cited.slice(0, 20).flatMap((id) => [`requirement ${id}`, `requirements ${id}`, `requirements: ${id}`]);
  const scored = sections.map((section, index) => {
    const heading = section.heading.toLowerCase();
    const fileHits = names.filter((n) => section.lower.includes(n)).length;
    const headingHits = words.filter((w) => heading.includes(w)).length;
    const textHits = words.filter((w) => section.lower.includes(w)).length;
    const citationHits = citations.filter((c) => section.lower.includes(c)).length;
    const relevant = fileHits > 0 || headingHits > 0 || textHits >= 2 || citationHits > 0;
    return { index, relevant, score: 4 * fileHits + 3 * headingHits + textHits + 2 * citationHits };
  });
  const chosen = scored
    .filter((s) => s.relevant)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, DESIGN_MAX_SECTIONS);
  if (chosen.length > 0) {
    const kept: number[] = [];
    let room = DESIGN_MAX_CHARS;
    for (const { index } of chosen) {
      const size = Math.min(sections[index]!.text.length, DESIGN_SECTION_MAX_CHARS);
      if (size <= room) {
        kept.push(index);
        room -= size;
      }
    }
    kept.sort((a, b) => a - b);
    return { text: kept.map((i) => bounded(sections[i]!.text, DESIGN_SECTION_MAX_CHARS)).join('\n\n'), relevant: true };
  }
  const overview = sections.find((s) => /overview|summary|introduction|概要|概述|はじめに|aperçu|übersicht|resumen|visão geral|обзор/i.test(s.heading)) ?? sections[0];
  return { text: overview ? bounded(overview.text, DESIGN_SECTION_MAX_CHARS) : '', relevant: false };
}

/**
 * The distinctive words of a text, lowercased, at most 40. Words break at spaces and punctuation and also
 * where the script changes, for languages written without spaces: Japanese `セッション管理の実装` gives
 * `セッション` and `管理`, `実装` (kana particles are left out). Latin words need four letters, Han two,
 * katakana three.
 */
function keyWords(title: string): string[] {
  const words = new Set<string>();
  let word = '';
  let kind = '';
  const flush = (): void => {
    const min = kind === 'han' || kind === 'hangul' ? 2 : kind === 'kana' ? 3 : 4;
    if (kind !== 'hiragana' && kind !== '' && word.length >= min && !STOP_WORDS.has(word) && !/^\d+$/.test(word)) {
      words.add(word);
    }
    word = '';
  };
  for (const char of plainText(title).toLowerCase()) {
    const next = scriptOf(char);
    if (next !== kind) {
      flush();
      kind = next;
    }
    if (next !== '') {
      word += char;
    }
  }
  flush();
  return [...words].slice(0, 40);
}

function scriptOf(char: string): string {
  if (/[\p{N}_]|\p{Script=Latin}/u.test(char)) {
    return 'latin';
  }
  if (/[\p{Script=Katakana}ー]/u.test(char)) {
    return 'kana';
  }
  if (/\p{Script=Han}/u.test(char)) {
    return 'han';
  }
  if (/\p{Script=Hiragana}/u.test(char)) {
    return 'hiragana';
  }
  if (/\p{Script=Hangul}/u.test(char)) {
    return 'hangul';
  }
  return /\p{L}/u.test(char) ? 'other' : '';
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

// ---------------------------------------------------------------------------------------------------------

/** The end (exclusive) of the section a heading opens: the next heading of its level or above. */
function sectionEnd(blocks: readonly Block[], index: number, depth: number): number {
  for (let i = index + 1; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.type === 'heading' && block.depth <= depth) {
      return i;
    }
  }
  return blocks.length;
}

/** A heading's or title's text without emphasis and code marks. */
function plainText(text: string): string {
  return text.replace(/[*_`]/g, '').trim();
}

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A code fence longer than any run of backticks in `text`, so the text cannot close it. */
function fenceFor(text: string): string {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = text.charCodeAt(i) === 96 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return '`'.repeat(Math.max(3, longest + 1));
}

/** UTF-8 text with LF line ends; a cut file loses its last, possibly partial, line. */
function decodeText(bytes: Buffer, truncated: boolean): string {
  let text = bytes.toString('utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (truncated) {
    const lastLine = text.lastIndexOf('\n');
    text = lastLine > 0 ? text.slice(0, lastLine) : text;
  }
  return text;
}
