/**
 * The inline fields of task files, shared by every markdown reader: what a task's title line says beside
 * its title (checkbox, id, `[P]`, `[US1]`, `(depends on T012)`, `(Priority: P1)`, paths, `-> path`), and
 * which headings are priorities. Field lines under a title are read by fieldLines.ts, paths by taskPaths.ts. Pure and linear in the length of the line: hand scans and anchored, bounded
 * patterns only (no pattern here can backtrack over a long line).
 */
import type { Priority, TaskStatus } from '../model/plan';
import { DEPENDENCY_NAMES, isIdLike, priorityFromWord, readFieldLine, splitMentions, stripEmphasis, type FieldLine } from './fieldLines';
import { pathArrow, pathsInLine } from './taskPaths';

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
  const idMatch =
    first === 0x54 /* T */
      ? (TASK_ID.exec(rest) ?? TASK_WORD_ID.exec(rest))
      : first === 0x74 /* t */
        ? TASK_WORD_ID.exec(rest)
        : first >= 0x30 && first <= 0x39
          ? TASK_NUMBER.exec(rest)
          : null;
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
  return { status: markerStatus(marker[1] ?? ' '), optional: marker[2] === '*', length: marker[0].length };
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
        const name = (clause[1] ?? '').toLowerCase();
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

// --- priorities ---------------------------------------------------------------------------------

/**
 * The priority a heading IS ("High Priority", "High Priority: Core Features", "P1", "P1 - Must have",
 * "Priority: High", "Critical", "Low"), or undefined for one that merely contains a word of it
 * ("Critical Paths", "Low-level design", "Background jobs").
 */
export function headingPriority(heading: string): Priority | undefined {
  // Leading emoji and symbols (🔴 High Priority) and emphasis are decoration.
  let start = 0;
  while (start < heading.length && !/[\p{L}\p{N}]/u.test(heading.charAt(start))) {
    start++;
  }
  const text = stripEmphasis(heading.slice(start).trim()).toLowerCase();
  const match =
    /^(?:priority[ \t]*(?:[:\-\u2013\u2014][ \t]*)?)?(p\d|critical|high|medium|normal|low|background)(?:[ \t]+priority)?(?:[ \t]+(?:tasks?|items?|issues?|bugs?|work|todos?))?[ \t]*(?:$|[:(]|[ \t][-\u2013\u2014][ \t])/.exec(
      text,
    );
  if (match) {
    return priorityFromWord(match[1] ?? '');
  }
  const numbered = /^priority[ \t]*(\d)[ \t]*(?:$|[:(]|[-\u2013\u2014][ \t])/.exec(text);
  return numbered ? priorityFromWord(`p${numbered[1]}`) : undefined;
}

/** Kiro's checkpoints: "Checkpoint - …", "Final Checkpoint", "**Checkpoint**: …". */
export function isCheckpointTitle(title: string): boolean {
  return /^[*_]*(?:final[ \t]+)?checkpoint\b/i.test(title);
}
