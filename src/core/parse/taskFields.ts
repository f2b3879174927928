/**
 * The inline fields of task files, shared by every markdown reader: what a task's title line says beside
 * its title (checkbox, id, `[P]`, `[US1]`, `(depends on T012)`, `(Priority: P1)`, paths, `-> path`), what a
 * field line under it says (`_Requirements: 1.1_`, `**Depends On**: T003`, `_Priority: High_`, …), and which
 * headings are priorities. Pure and linear in the length of the line: hand scans and anchored, bounded
 * patterns only (no pattern here can backtrack over a long line).
 */
import type { Priority, TaskStatus } from '../model/plan';

/** A checkbox marker: `[ ]`, `[x]`, `[X]`, `[-]` / `[~]` (in progress), optionally `*` (Kiro: optional). */
export interface Checkbox {
  readonly status: TaskStatus;
  readonly optional: boolean;
}

/** `[ ]`, `[x]`, `[X]`, `[-]`, `[~]`, each optionally followed by Kiro's `*`, then a blank. */
const CHECKBOX_MARKER = /^\[([ xX~-])\](\*?)[ \t]+/;
/** `T001`, `T001:` (spec-kit ids). */
const TASK_ID = /^(T\d+)\b:?[ \t]*/;
/** `Task 3:` / `Task 3.` / `Task 3 -` (agent plans). */
const TASK_WORD_ID = /^Task[ \t]+(\d+(?:\.\d+)*)[ \t]*[:.\u2013\u2014-][ \t]*/i;
/** Kiro/cc-sdd numbering at the start of a title: `1.`, `2.1`, `2.1.`, `2.1:`; `7.9*` is optional. */
export const TASK_NUMBER = /^(\d+(?:\.\d+)*)[.:]?(\*?)[ \t]+(?=\S)/;
const PARALLEL_LABEL = /^\[P\][ \t]*/;
const STORY_LABEL = /^\[(US\d+|Story)\][ \t]*/;

export interface TitleLine {
  /** The title with every marker and recognised field removed, links shown as their text. */
  readonly title: string;
  /** A checkbox before or (spec-kit headings, `T001: [X] …`) after the id. */
  readonly checkbox: Checkbox | undefined;
  /** The id the line gives the task: `T001`, `2.1`, or N of `Task N:`. */
  readonly id: string | undefined;
  /** spec-kit `[P]`, cc-sdd `(P)`. */
  readonly parallel: boolean;
  /** Wrapped fields at the end of the line (`_Priority: Critical_`), to apply like field lines. */
  readonly fields: FieldLine[];
  /** `US1` from `[US1]`. */
  readonly story: string | null;
  /** Raw dependency mentions from `(depends on T012, T013)`, `(after T005)`; resolve with dependencies.ts. */
  readonly dependsOn: string[];
  /** From `(Priority: P1)`. */
  readonly priority: Priority | undefined;
  /** Paths the line names (rule 9), in order: candidates for predicted files or references. */
  readonly files: string[];
  /** The path of a `-> path` / `→ path` at the end of the line. */
  readonly arrowTarget: string | undefined;
}

/**
 * Reads a task's title line (a checkbox item's first line, a task heading's text): strips the checkbox,
 * the id or number, `[P]` and `[US1]` labels and recognised parenthesised field clauses, cuts a `-> path`
 * arrow, shows links as their text, and returns what it found.
 */
export function readTitleLine(line: string): TitleLine {
  let rest = line.trim();
  let checkbox = readCheckbox(rest);
  if (checkbox) {
    rest = rest.slice(checkbox.length);
  }
  let id: string | undefined;
  let optionalNumber = false;
  const first = rest.charCodeAt(0);
  const idMatch = first === 0x54 /* T */ ? (TASK_ID.exec(rest) ?? TASK_WORD_ID.exec(rest)) : first === 0x74 /* t */ ? TASK_WORD_ID.exec(rest) : first >= 0x30 && first <= 0x39 ? TASK_NUMBER.exec(rest) : null;
  if (idMatch) {
    id = idMatch[1];
    optionalNumber = idMatch[2] === '*';
    rest = rest.slice(idMatch[0].length);
  }
  if (!checkbox) {
    checkbox = readCheckbox(rest);
    if (checkbox) {
      rest = rest.slice(checkbox.length);
    }
  }
  let parallel = false;
  let story: string | null = null;
  while (rest.charCodeAt(0) === 0x5b /* [ */) {
    const label = PARALLEL_LABEL.exec(rest) ?? STORY_LABEL.exec(rest);
    if (!label) {
      break;
    }
    if (label[1] === undefined) {
      parallel = true;
    } else if (label[1] !== 'Story') {
      story = label[1];
    }
    rest = rest.slice(label[0].length);
  }
  rest = titleAsText(rest);
  const clauses = fieldClauses(rest);
  rest = clauses.rest;
  // `Tidy the badges _Priority: Critical_`: wrapped fields at the end of the line.
  const fields: FieldLine[] = [];
  for (let tries = 0; tries < 4 && (rest.endsWith('_') || rest.endsWith('*')); tries++) {
    const wrapper = rest.endsWith('**') ? ' **' : rest.endsWith('_') ? ' _' : ' *';
    const open = rest.lastIndexOf(wrapper, rest.length - wrapper.length);
    const field = open === -1 ? undefined : readFieldLine(rest.slice(open + 1));
    if (!field || field.kind === 'status') {
      break;
    }
    fields.push(field);
    rest = rest.slice(0, open);
  }
  let arrowTarget: string | undefined;
  const arrow = pathArrow(rest);
  if (arrow) {
    arrowTarget = arrow.target;
    rest = rest.slice(0, arrow.index);
  }
  return {
    title: rest.trim(),
    checkbox: checkbox ? { status: checkbox.status, optional: checkbox.optional || optionalNumber } : undefined,
    id,
    parallel: parallel || clauses.parallel,
    story,
    fields,
    dependsOn: clauses.dependsOn,
    priority: clauses.priority,
    files: pathsInLine(rest),
    arrowTarget,
  };
}

/** The checkbox marker at the start of `text`, with the length it takes (its trailing blanks included). */
export function readCheckbox(text: string): (Checkbox & { length: number }) | undefined {
  if (text.charCodeAt(0) !== 0x5b /* [ */) {
    return undefined;
  }
  const marker = CHECKBOX_MARKER.exec(text);
  if (!marker) {
    return undefined;
  }
  return { status: markerStatus(marker[1]!), optional: marker[2] === '*', length: marker[0].length };
}

/** What the character inside a checkbox's brackets says: ` ` pending, `-`/`~` in progress, else done. */
export function markerStatus(mark: string): TaskStatus {
  return mark === ' ' ? 'pending' : mark === '-' || mark === '~' ? 'in_progress' : 'done';
}

/**
 * A title as the user reads it: links as their text, and `**bold**` without its markers (outside code
 * spans). Underscores stay: `__init__.py` in a title is a file name far more often than emphasis.
 */
export function titleAsText(text: string): string {
  const linked = linksAsText(text);
  if (!linked.includes('**')) {
    return linked;
  }
  // The `**` outside code spans, found in one pass; removed only when they pair up.
  const markers: number[] = [];
  for (let i = 0; i < linked.length; i++) {
    const c = linked.charCodeAt(i);
    if (c === 0x60 /* ` */) {
      const close = linked.indexOf('`', i + 1);
      if (close === -1) {
        break;
      }
      i = close;
    } else if (c === 0x2a && linked.charCodeAt(i + 1) === 0x2a) {
      markers.push(i);
      i++;
    }
  }
  if (markers.length === 0 || markers.length % 2 !== 0) {
    return linked;
  }
  let out = '';
  let from = 0;
  for (const at of markers) {
    out += linked.slice(from, at);
    from = at + 2;
  }
  return (out + linked.slice(from)).replace(/[ \t]{2,}/g, ' ').trim();
}

/** `[text](url)` and `![alt](src)` shown as their text; one pass (each `[` scans to the next bracket only). */
export function linksAsText(text: string): string {
  if (!text.includes('](')) {
    return text;
  }
  return text.replace(/!?\[([^[\]\n]*)\]\(([^()\s]*)\)/g, '$1');
}

/** Words that open a dependency clause or field, always. */
const DEPENDENCY_NAMES = new Set([
  'depends',
  'depends on',
  'depend on',
  'dependencies',
  'dependency',
  'blocked by',
  'deps',
  // Translations, as specs in other languages write them.
  '依赖',
  '依存',
  '依存関係',
  '前提',
  'abhängigkeiten',
  'abhängig von',
  'dependencias',
  'depende de',
  'dépendances',
  'dépend de',
  'dipendenze',
  'dipende da',
  'dependências',
]);
/** Words that open one only when every value is an id (`(after T005)`, `Requires: 1.2`): else they are prose. */
const ID_ONLY_DEPENDENCY_NAMES = new Set(['after', 'requires', 'needs']);

/**
 * Parenthesised field clauses anywhere in a title: `(depends on T012, T013)`, `(after T005)`,
 * `(Priority: P1)`, cc-sdd's `(P)`; full-width parentheses too. Each is removed, with the blanks before it; other parentheses stay. One pass: the
 * innermost `( … )` pairs are tried as they close.
 */
function fieldClauses(text: string): { rest: string; dependsOn: string[]; priority: Priority | undefined; parallel: boolean } {
  const dependsOn: string[] = [];
  let priority: Priority | undefined;
  let parallel = false;
  if (!text.includes('(') && !text.includes('（')) {
    return { rest: text, dependsOn, priority, parallel };
  }
  let out = '';
  let copied = 0;
  let open = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 /* ( */ || c === 0xff08 /* （ */) {
      open = i;
    } else if ((c === 0x29 /* ) */ || c === 0xff09) /* ） */ && open >= 0) {
      const inner = text.slice(open + 1, i).trim();
      const clause = /^(depends on|depends|depend on|dependencies|dependency|blocked by|deps|after|requires|needs|priority)\b[ \t]*(?::[ \t]*)?/i.exec(inner);
      let recognised = false;
      if (inner === 'P') {
        // cc-sdd's parallel marker.
        parallel = true;
        recognised = true;
      } else if (clause) {
        const name = clause[1]!.toLowerCase();
        const value = inner.slice(clause[0].length);
        if (name === 'priority') {
          const found = priorityFromWord(value);
          if (found) {
            priority = found;
            recognised = true;
          }
        } else {
          const mentions = splitMentions(value);
          if (DEPENDENCY_NAMES.has(name) || (mentions.length > 0 && mentions.every(isIdLike))) {
            for (const mention of mentions) {
              dependsOn.push(mention);
            }
            recognised = true;
          }
        }
      }
      if (recognised) {
        let cut = open;
        while (cut > copied && (text.charCodeAt(cut - 1) === 32 || text.charCodeAt(cut - 1) === 9)) {
          cut--;
        }
        out += text.slice(copied, cut);
        copied = i + 1;
      }
      open = -1;
    }
  }
  return { rest: out + text.slice(copied), dependsOn, priority, parallel };
}

// --- field lines --------------------------------------------------------------------------------

/** What a field line under a task says. */
export type FieldLine =
  | { readonly kind: 'requirements'; readonly values: string[] }
  | { readonly kind: 'validates'; readonly values: string[] }
  /** Raw mentions; empty for "None", or when the mentions follow as a list (`**Dependencies**:` alone). */
  | { readonly kind: 'dependsOn'; readonly values: string[]; readonly listFollows: boolean }
  | { readonly kind: 'priority'; readonly priority: Priority | undefined }
  | { readonly kind: 'parallel'; readonly parallel: boolean }
  | { readonly kind: 'story'; readonly story: string | null }
  | { readonly kind: 'status'; readonly value: string };

/** Names of Kiro's requirements field, translated as Kiro writes them. */
const REQUIREMENT_NAMES = new Set(['requirement', 'requirements', 'requisito', 'requisitos', 'exigence', 'exigences', 'anforderung', 'anforderungen', 'requisiti', '要件', '需求']);

/**
 * A field name, then `:` (or `：`), with emphasis around the name, around the whole line, or none:
 * `_Requirements: 1.1_`, `**Depends On**: T003`, `**Depends on:** Phase 2`, `Blocked by: T1`. Every
 * quantifier before the colon is bounded: two unbounded blank runs there split a long run of spaces in
 * quadratically many ways.
 */
const FIELD_OPENING = /^(?:[-*+][ \t]+)?([*_]{0,3})([^\s:：*_`[\]()][^:：*_`[\]()\n]{0,28}?)[ \t]{0,3}([*_]{0,3})[ \t]{0,3}[:：][ \t]*([*_]{0,3})/;

/**
 * Reads a description line as a field (`_Requirements: …_` and its translations, `**Validates:
 * Requirements 1.3**`, `_Depends: …_`, `**Depends On**: …`, `Blocked by: …`, `_Priority: …_`,
 * `**Parallel**: Yes`, `**Story**: US1`, `**Status**: Done`); undefined when it is not one. "None", "-" and
 * "N/A" are a field with no values.
 */
export function readFieldLine(line: string): FieldLine | undefined {
  // Most description lines are prose without a colon: no work, no garbage.
  if (!line.includes(':') && !line.includes('：')) {
    return undefined;
  }
  const trimmed = line.trim();
  const opening = FIELD_OPENING.exec(trimmed);
  if (!opening) {
    return undefined;
  }
  const name = opening[2]!.trim().toLowerCase().replace(/[ \t]+/g, ' ');
  const wrapped = opening[1] !== '';
  let value = trimmed.slice(opening[0].length);
  if (wrapped || opening[4] !== '') {
    value = stripTrailingEmphasis(value);
  }
  value = value.trim();

  if (REQUIREMENT_NAMES.has(name)) {
    const values = splitList(value);
    return wrapped || (values.length > 0 && values.every(isIdLike)) ? { kind: 'requirements', values } : undefined;
  }
  if (name === 'validates' || name === 'validate') {
    return { kind: 'validates', values: splitList(value).map((v) => v.replace(/^(?:requirements?|propert(?:y|ies)|req\.?)[ \t]+/i, '')) };
  }
  if (DEPENDENCY_NAMES.has(name) || ID_ONLY_DEPENDENCY_NAMES.has(name)) {
    const values = splitMentions(value);
    if (!DEPENDENCY_NAMES.has(name) && (values.length === 0 || !values.every(isIdLike))) {
      return undefined;
    }
    return { kind: 'dependsOn', values, listFollows: value === '' };
  }
  if (name === 'priority') {
    return { kind: 'priority', priority: priorityFromWord(value) };
  }
  if (name === 'parallel' || name === 'parallelizable' || name === 'parallel safe') {
    return { kind: 'parallel', parallel: /^(?:yes|true|y|✓|✔|✅|\[p\])/i.test(value) };
  }
  if (name === 'story' || name === 'user story') {
    const story = value.replace(/^\[|\]$/g, '').trim();
    return { kind: 'story', story: story === '' || isNone(story) ? null : story };
  }
  if (name === 'status' && wrapped) {
    return { kind: 'status', value };
  }
  return undefined;
}

/**
 * Dependency mentions in a line that is not a field but speaks of one ("Requires API Server (task #2)",
 * "after tasks #1, #2", "Depends on task 1 (`x`)"): its `task N` and `#N` mentions. Empty for any other
 * line.
 */
export function taskNumberMentions(line: string): string[] {
  // Only mentions after the word that makes them dependencies: in "Formalizes Task 2's check: blocked at
  // the target" nothing depends on task 2.
  const opening = /\b(?:depend\w*|requir\w*|after|blocked[ \t]+(?:by|on))\b/i.exec(line);
  if (!opening) {
    return [];
  }
  const rest = line.slice(opening.index);
  if (!/\btasks?[ \t]*#?\d/i.test(rest)) {
    return [];
  }
  // "Task 4's capacity check" is about task 4, not a wait for it.
  return [...rest.matchAll(/\btasks?[ \t]*#?\d+(?:\.\d+)*(?!\d|['’]s\b)|#\d+/gi)].map((m) => m[0]);
}

/** "None", "-", "N/A", "—": a field that names nothing. */
export function isNone(value: string): boolean {
  return /^(?:none\b|n\/a\b|na$|nothing\b|no dependencies\b|[-\u2013\u2014]$|$)/i.test(stripEmphasis(value.trim()));
}

/**
 * Splits a dependency value into its mentions: `T012, T013` → two; `Task 2 and Task 3` → two; `[1, 3]`
 * → two. "None" and friends → none.
 */
export function splitMentions(value: string): string[] {
  let text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    text = text.slice(1, -1);
  }
  if (isNone(text)) {
    return [];
  }
  return text
    .split(/[,;&、，]|[ \t]and[ \t]/i)
    .map((part) => stripEmphasis(part.trim()).replace(/[.。]+$/, '').trim())
    .filter((part) => part !== '' && !isNone(part));
}

/** An id as dependencies write them: `T012`, `1.4`, `5`, `#2`, `task 2`, `Phase 2`, a range `T010-T012`. */
export function isIdLike(mention: string): boolean {
  return /^(?:#?\d+(?:\.\d+)*|T\d+|(?:task|phase)[ \t]*#?\d+(?:\.\d+)*|T\d+[ \t]*[-\u2013][ \t]*T\d+|\d+(?:\.\d+)*[ \t]*[-\u2013][ \t]*\d+(?:\.\d+)*)$/i.test(mention.trim());
}

function splitList(text: string): string[] {
  return text
    .split(/[,;、，]/)
    .map((s) => stripEmphasis(s.trim()))
    .filter(Boolean);
}

function stripEmphasis(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isEmphasis(text.charCodeAt(start))) {
    start++;
  }
  while (end > start && isEmphasis(text.charCodeAt(end - 1))) {
    end--;
  }
  return text.slice(start, end);
}

function stripTrailingEmphasis(text: string): string {
  let end = text.length;
  while (end > 0 && (isBlank(text.charCodeAt(end - 1)) || text.charCodeAt(end - 1) === 0x2a || text.charCodeAt(end - 1) === 0x5f)) {
    end--;
  }
  return text.slice(0, end);
}

/** `*`, `_`, or a backtick. */
function isEmphasis(code: number): boolean {
  return code === 0x2a || code === 0x5f || code === 0x60;
}

// --- priorities ---------------------------------------------------------------------------------

/** A priority word: P0 critical, P1 high, P2 normal, P3 low, P4+ background; Critical, High, Medium/Normal, Low. */
export function priorityFromWord(word: string): Priority | undefined {
  const w = stripEmphasis(word.trim()).toLowerCase();
  const level = /^p(\d+)\b/.exec(w) ?? /^priority[ \t]*(\d)\b/.exec(w);
  if (level) {
    return (['critical', 'high', 'normal', 'low'] as const)[Number(level[1])] ?? 'background';
  }
  const named = /^(critical|high|medium|normal|low|background)\b/.exec(w);
  if (!named) {
    return undefined;
  }
  return named[1] === 'medium' ? 'normal' : (named[1] as Priority);
}

/**
 * The priority a heading IS ("High Priority", "High Priority: Core Features", "P1", "P1 - Must have",
 * "Priority: High", "Critical", "Low"), or undefined for one that merely contains a word of it
 * ("Critical Paths", "Low-level design", "Background jobs").
 */
export function headingPriority(heading: string): Priority | undefined {
  // Leading emoji and symbols (🔴 High Priority) and emphasis are decoration.
  let start = 0;
  while (start < heading.length && !/[\p{L}\p{N}]/u.test(heading[start]!)) {
    start++;
  }
  const text = stripEmphasis(heading.slice(start).trim()).toLowerCase();
  const match = /^(?:priority[ \t]*(?:[:\-\u2013\u2014][ \t]*)?)?(p\d|critical|high|medium|normal|low|background)(?:[ \t]+priority)?(?:[ \t]+(?:tasks?|items?|issues?|bugs?|work|todos?))?[ \t]*(?:$|[:(]|[ \t][-\u2013\u2014][ \t])/.exec(text);
  if (match) {
    return priorityFromWord(match[1]!);
  }
  const numbered = /^priority[ \t]*(\d)[ \t]*(?:$|[:(]|[-\u2013\u2014][ \t])/.exec(text);
  return numbered ? priorityFromWord(`p${numbered[1]}`) : undefined;
}

/** Kiro's checkpoints: "Checkpoint - …", "Final Checkpoint", "**Checkpoint**: …". */
export function isCheckpointTitle(title: string): boolean {
  return /^[*_]*(?:final[ \t]+)?checkpoint\b/i.test(title);
}

// --- paths and arrows ---------------------------------------------------------------------------

/** Extensions a plain (not backticked) name without a `/` must have to count as a file. */
const SOURCE_EXTENSIONS = new Set(
  (
    'py pyi ipynb js mjs cjs jsx ts mts cts tsx vue svelte astro java kt kts scala groovy gradle go rs c h cc cpp cxx hpp hh cs ' +
    'csproj sln fs swift rb erb php pl lua dart ex exs erl hs clj elm nim zig sol sh bash zsh fish ps1 bat cmd sql prisma ' +
    'graphql gql proto html htm css scss sass less md mdx markdown rst txt adoc json jsonc json5 yaml yml toml ini cfg conf ' +
    'env xml csv tsv lock tf tfvars hcl dockerfile mk cmake nix svg png jpg jpeg gif ico webp pdf wasm db sqlite log ' +
    'properties plist gemspec tex bib ejs hbs pug twig j2 jinja tmpl tpl http mod sum'
  ).split(' '),
);
/** Dot-files whose name is also an extension: `.env` is a file, `.cpp` a kind of file. */
const DOT_FILES_NAMED_LIKE_EXTENSIONS = new Set(['env']);
/** Product names written like files: Node.js, Vue.js, Next.js. */
const PRODUCT_EXTENSIONS = new Set(['js']);

/**
 * Whether a token names a file (rule 9): with a `/` and a file extension (`src/models/user.py`); without a
 * `/`, a known extension (`package.json`, `hello.py`), or a backticked dot-file (`` `.gitignore` ``). Not
 * URLs, version numbers (`1.2.3`, `v2.0`), `e.g.`, or `Node.js`-style names.
 */
export function isPath(token: string, backticked: boolean): boolean {
  if (token.length === 0 || token.length > 260 || /[\s<>{}()[\]*?|"'$=,;!]/.test(token) || token.includes('://') || token.startsWith('//') || /^www\./i.test(token)) {
    return false;
  }
  const slash = token.lastIndexOf('/');
  const name = token.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  if (dot === -1 || dot === name.length - 1) {
    return false;
  }
  if (name.indexOf('.') === 0 && name.length > 1) {
    // A dot-file: `.gitignore`, `.clang-format`, `config/.env`; but a backticked `.cpp` alone names a
    // kind of file (an extension), not a file.
    const rest = name.slice(1);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(rest) || (slash === -1 && SOURCE_EXTENSIONS.has(rest.toLowerCase()) && !DOT_FILES_NAMED_LIKE_EXTENSIONS.has(rest))) {
      return false;
    }
    return backticked || slash !== -1;
  }
  const extension = name.slice(dot + 1);
  if (!/^[A-Za-z][A-Za-z0-9]{0,9}$/.test(extension)) {
    return false;
  }
  if (slash !== -1) {
    return slash > 0 || token.length > 1;
  }
  if (!SOURCE_EXTENSIONS.has(extension)) {
    return false;
  }
  return backticked || !(PRODUCT_EXTENSIONS.has(extension) && /^[A-Z]/.test(name));
}

/**
 * The paths a line names (rule 9), in order of appearance, each once: backticked spans and plain
 * words, trimmed of the punctuation around them. One pass.
 */
/** `a.ts:12`, `a.ts:12:3`, `a.sh:94,100`, `a.ts:12-40` name the file `a.ts`. */
function withoutLineNumbers(token: string): string {
  return token.replace(/:\d+(?:[-,:]\d+)*$/, '');
}

export function pathsInLine(line: string): string[] {
  const found: string[] = [];
  const add = (raw: string, backticked: boolean): void => {
    const token = backticked ? raw.trim() : trimPunctuation(raw);
    const withoutLine = withoutLineNumbers(token);
    if (isPath(withoutLine, backticked) && !found.includes(withoutLine)) {
      found.push(withoutLine);
    }
  };
  // Only words with a dot can name a file: the others are never cut out of the line (no garbage).
  let wordStart = -1;
  let wordDot = false;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 32;
    if (c === 0x60 /* ` */) {
      if (wordStart !== -1 && wordDot) {
        add(line.slice(wordStart, i), false);
      }
      wordStart = -1;
      const close = line.indexOf('`', i + 1);
      if (close === -1) {
        continue;
      }
      let dot = false;
      for (let j = i + 1; j < close && !dot; j++) {
        dot = line.charCodeAt(j) === 0x2e;
      }
      if (dot) {
        const span = line.slice(i + 1, close);
        if (isPath(withoutLineNumbers(span.trim()), true)) {
          add(span, true);
        } else {
          // Code that holds paths: `['src/a.ts', 'b/c.md']`, `src/cli/vpn.rs::on_command()`; read like
          // plain words (`.int` of `z.number().int()` is no dot-file).
          for (const piece of span.split(/[\s'"`,;:()[\]{}<>=]+/)) {
            if (piece.includes('.')) {
              add(piece, false);
            }
          }
        }
      }
      i = close;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (wordStart !== -1 && wordDot) {
        add(line.slice(wordStart, i), false);
      }
      wordStart = -1;
    } else {
      if (wordStart === -1) {
        wordStart = i;
        wordDot = false;
      }
      wordDot ||= c === 0x2e;
    }
  }
  return found;
}

function trimPunctuation(word: string): string {
  return trimCharacters(word, '([{<"\'*_', ')]}>"\'*_,;:.!?');
}

/** `text` without the `leading` characters at its start and the `trailing` ones at its end (a hand scan: linear). */
export function trimCharacters(text: string, leading: string, trailing: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && leading.includes(text[start]!)) {
    start++;
  }
  while (end > start && trailing.includes(text[end - 1]!)) {
    end--;
  }
  return text.slice(start, end);
}

/**
 * A `text -> path` (or `→`) reference at the end of a line: the first arrow, after a blank, that the rest
 * of the line follows as a single path (backticks allowed). `T030 → T031` and `` `a` → `b` `` are prose:
 * undefined. `index` is where the blanks before the arrow start. One pass.
 */
export function pathArrow(line: string): { index: number; target: string } | undefined {
  let end = line.length;
  while (end > 0 && isBlank(line.charCodeAt(end - 1))) {
    end--;
  }
  // The rest after an arrow is one token when it starts after the last blank of the line.
  let lastBreak = -1;
  for (let i = end - 1; i >= 0; i--) {
    const c = line.charCodeAt(i);
    if (isBlank(c) || c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      lastBreak = i;
      break;
    }
  }
  for (let i = 1; i < end; i++) {
    const arrowLength = line.charCodeAt(i) === 0x2192 ? 1 : line.startsWith('->', i) ? 2 : 0;
    if (arrowLength === 0 || !isBlank(line.charCodeAt(i - 1))) {
      continue;
    }
    let start = i + arrowLength;
    while (start < end && isBlank(line.charCodeAt(start))) {
      start++;
    }
    if (start >= end || start <= lastBreak) {
      continue;
    }
    let target = line.slice(start, end);
    const backticked = target.length > 2 && target.startsWith('`') && target.endsWith('`');
    if (backticked) {
      target = target.slice(1, -1);
    }
    // An arrow names a file explicitly: any extension will do, or a `/`.
    if (!isArrowTarget(target)) {
      return undefined;
    }
    let index = i - 1;
    while (index > 0 && isBlank(line.charCodeAt(index - 1))) {
      index--;
    }
    return { index, target };
  }
  return undefined;
}

/** What an arrow may point at: a path with a `/` or a file extension (`notes.txt`, `./a`), not a URL. */
function isArrowTarget(target: string): boolean {
  if (/[\s()[\]<>{}"'|*?]/.test(target) || target.includes('://')) {
    return false;
  }
  const slash = target.lastIndexOf('/');
  const name = target.slice(slash + 1);
  return name.length > 0 && (slash !== -1 || /.\.[A-Za-z][A-Za-z0-9]{0,9}$/.test(name));
}

/** A space or a tab. */
function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}
