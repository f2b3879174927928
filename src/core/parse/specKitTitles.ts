/**
 * What a spec-kit task's title says beside its title: the id and leading labels (`[P]`, `[US1]`, `[X]`,
 * `[DONE]`), trailing clauses (`(depends on T010)`, `(Priority: P1)`), dependency sentences, and a phase
 * heading's number. Pure functions of one line, used by specKit.ts.
 */
import type { Priority, TaskStatus } from '../model/plan';
import { priorityFromWord } from './fieldLines';
import { markerStatus } from './taskFields';

/** `T001`, `T012a`, `T041.1`, also bold (`**T001**`, `**T001:**`): spec-kit's task ids. Group 1 is the id. */
export const TASK_ID = /^(?:\*\*)?(T\d{3,}(?:\.\d+)*[a-z]?)\b(?::?\*\*)?/;

/** `T001: [X] Title`, `T002 [P] Title`, `[X] T003 - Title`: the id, the rest, and a status in brackets. */
export function parseTaskHeading(
  text: string,
): { id: string; rest: string; status: TaskStatus | undefined; parallel: boolean; story: string | null } | undefined {
  let rest = text.trim();
  let status: TaskStatus | undefined;
  const leadingMark = /^\[([ xX~-])\][ \t]*/.exec(rest);
  if (leadingMark) {
    status = markerStatus(leadingMark[1] ?? ' ');
    rest = rest.slice(leadingMark[0].length);
  }
  const idMatch = TASK_ID.exec(rest);
  if (!idMatch) {
    return undefined;
  }
  const id = idMatch[1] ?? idMatch[0];
  rest = rest.slice(idMatch[0].length);
  const labels = leadingLabels(rest);
  return { id, rest: labels.rest, status: labels.status ?? status, parallel: labels.parallel, story: labels.story };
}

/** The labels after an id: `:`/`-` separators, `[P]`, `[US1]`, `[X]`; the rest is the title. */
export function leadingLabels(text: string): { rest: string; parallel: boolean; story: string | null; status: TaskStatus | undefined } {
  let rest = text;
  let parallel = false;
  let story: string | null = null;
  let status: TaskStatus | undefined;
  for (;;) {
    rest = rest.replace(/^[ \t]*(?:[:.\-–—][ \t]+|:)?[ \t]*/, '');
    const label = /^\[([^\]\n]{1,20})\]/.exec(rest);
    const labelText = label?.[1];
    if (!label || labelText === undefined) {
      break;
    }
    const inner = labelText.trim();
    const word = statusLabel(inner);
    if (/^p$/i.test(inner)) {
      parallel = true;
    } else if (/^US\d+[a-z]?$/i.test(inner)) {
      // `[US3] [US5]`: the first story is the task's.
      story ??= inner.toUpperCase();
    } else if (/^(x|~|-|)$/i.test(inner) && labelText.length === 1) {
      status = markerStatus(labelText);
    } else if (word) {
      status = word;
    } else if (/^story$/i.test(inner)) {
      // The template's placeholder left in.
    } else {
      break;
    }
    rest = rest.slice(label[0].length);
  }
  return { rest: rest.trim(), parallel, story, status };
}

/** `[DONE]`, `[COMPLETE]`, `[IN PROGRESS]`, `[TODO]`…: a status written as a label. */
function statusLabel(inner: string): TaskStatus | undefined {
  const word = inner
    .toLowerCase()
    .replace(/[^a-z ]+/g, ' ')
    .trim();
  return /^(done|complete|completed|finished)$/.test(word)
    ? 'done'
    : /^(in progress|wip|started)$/.test(word)
      ? 'in_progress'
      : /^(todo|to do|pending)$/.test(word)
        ? 'pending'
        : /^(skipped|cancelled|canceled|deferred)$/.test(word)
          ? 'skipped'
          : undefined;
}

/** Trailing `(depends on T012, T013)`, `(after T005)`, `(Priority: P1)` clauses, taken off the title. */
export function trailingClauses(title: string): { title: string; dependencies: string[]; priority: Priority | undefined } {
  let rest = title.trim();
  const dependencies: string[] = [];
  let priority: Priority | undefined;
  const sentences = dependencySentences(rest);
  dependencies.push(...sentences.values);
  rest = sentences.title;
  for (;;) {
    if (!rest.endsWith(')')) {
      break;
    }
    const open = rest.lastIndexOf('(');
    if (open < 0) {
      break;
    }
    const inner = rest.slice(open + 1, -1).trim();
    const dependency = /^(?:depends[ \t]+on|depends|dependencies|after|blocked[ \t]+by|requires)[ \t]*:?[ \t]*/i.exec(inner);
    const clausePriority = /^priority[ \t]*:/i.test(inner) ? priorityFromWord(inner.slice(inner.indexOf(':') + 1)) : undefined;
    if (dependency && /T\d{3,}|phase/i.test(inner)) {
      dependencies.push(inner.slice(dependency[0].length));
    } else if (clausePriority) {
      priority = clausePriority;
    } else {
      break;
    }
    rest = rest.slice(0, open).trimEnd();
  }
  return { title: rest, dependencies, priority };
}

/**
 * `Depends on T002, T004.` sentences in a title line, whose every mention is an id or a phase: their
 * values, and the title without the last one when it closes the line. One pass of indexOf.
 */
export function dependencySentences(title: string): { title: string; values: string[] } {
  const lower = title.toLowerCase();
  const values: string[] = [];
  let cut = title;
  for (let at = lower.indexOf('depends on '); at >= 0; at = lower.indexOf('depends on ', at + 1)) {
    const before = title.slice(0, at).trimEnd();
    if (before !== '' && !/[.;:,)\u2013\u2014-]$/.test(before)) {
      continue;
    }
    const start = at + 'depends on '.length;
    // The sentence ends at a period followed by a blank, or at the end of the line.
    let end = title.indexOf('. ', start);
    end = end < 0 ? title.length : end;
    const value = title.slice(start, end).trim().replace(/\.$/, '');
    const mentions = value.split(/[,;+]|\band\b/).map((part) => part.trim().replace(/^[*_`]+|[*_`]+$/g, ''));
    if (mentions.length === 0 || !mentions.every(isIdMention)) {
      continue;
    }
    values.push(value);
    if (end === title.length) {
      cut = before;
    }
  }
  return { title: cut, values };
}

function isIdMention(mention: string): boolean {
  return /^(?:T\d{3,}[a-z]?(?:[ \t]*[-\u2013\u2014][ \t]*T\d{3,})?|phase[ \t]*\d+(?:\.\d+)*)$/i.test(mention);
}

/** The number of a `Phase 3: …` / `Phase 3.1 – …` heading ('' for a phase without one); undefined if not a phase. */
export function phaseHeadingNumber(text: string): string | undefined {
  let start = 0;
  // Emoji or markers before the word ("✅ Phase 1").
  while (start < text.length && start < 16 && !/[\p{L}\p{N}]/u.test(text.charAt(start))) {
    start++;
  }
  const match = /^phase\b[ \t]*(\d+(?:\.\d+)*)?/i.exec(text.slice(start));
  return match ? (match[1] ?? '') : undefined;
}

export function inlinePriority(text: string): Priority | undefined {
  const match = /\(priority[ \t]*:[ \t]*([A-Za-z0-9]+)[ \t]*\)/i.exec(text);
  return match ? priorityFromWord(match[1] ?? '') : undefined;
}

export function statusWord(value: string): TaskStatus | undefined {
  const word = value.trim().toLowerCase();
  if (/^(\[x\]|✅|✓|☑|done|complete|completed|finished)/.test(word)) {
    return 'done';
  }
  if (/^(\[[-~]\]|🚧|⏳|in[ \t-]progress|wip|started|ongoing)/.test(word)) {
    return 'in_progress';
  }
  if (/^(\[ \]|⬜|☐|pending|todo|to do|not started|open)/.test(word)) {
    return 'pending';
  }
  if (/^(skipped|cancel+ed|deferred|won'?t do)/.test(word)) {
    return 'skipped';
  }
  return undefined;
}
