/**
 * Field lines under a task's title, shared by the markdown readers: `_Requirements: 1.1_` and its
 * translations, `**Validates: …**`, `**Depends On**: T003`, `Blocked by: …`, `_Priority: High_`,
 * `**Parallel**: Yes`, `**Story**: US1`, `**Status**: Done`, and the `task N` / `#N` mentions of a line
 * that speaks of a dependency. Linear in the line: bounded, anchored patterns only.
 */
import type { Priority } from '../model/plan';
import { isBlank } from './taskPaths';

/** Words that open a dependency clause or field, always. */
export const DEPENDENCY_NAMES = new Set([
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
export const ID_ONLY_DEPENDENCY_NAMES = new Set(['after', 'requires', 'needs']);

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
const REQUIREMENT_NAMES = new Set([
  'requirement',
  'requirements',
  'requisito',
  'requisitos',
  'exigence',
  'exigences',
  'anforderung',
  'anforderungen',
  'requisiti',
  '要件',
  '需求',
]);

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
  const name = (opening[2] ?? '')
    .trim()
    .toLowerCase()
    .replace(/[ \t]+/g, ' ');
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

function splitList(text: string): string[] {
  return text
    .split(/[,;、，]/)
    .map((s) => stripEmphasis(s.trim()))
    .filter(Boolean);
}

function stripTrailingEmphasis(text: string): string {
  let end = text.length;
  while (end > 0 && (isBlank(text.charCodeAt(end - 1)) || text.charCodeAt(end - 1) === 0x2a || text.charCodeAt(end - 1) === 0x5f)) {
    end--;
  }
  return text.slice(0, end);
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
    .map((part) =>
      stripEmphasis(part.trim())
        .replace(/[.。]+$/, '')
        .trim(),
    )
    .filter((part) => part !== '' && !isNone(part));
}

/** An id as dependencies write them: `T012`, `1.4`, `5`, `#2`, `task 2`, `Phase 2`, a range `T010-T012`. */
export function isIdLike(mention: string): boolean {
  return /^(?:#?\d+(?:\.\d+)*|T\d+|(?:task|phase)[ \t]*#?\d+(?:\.\d+)*|T\d+[ \t]*[-\u2013][ \t]*T\d+|\d+(?:\.\d+)*[ \t]*[-\u2013][ \t]*\d+(?:\.\d+)*)$/i.test(
    mention.trim(),
  );
}

/** `text` without the `*`, `_` and backticks at its ends. */
export function stripEmphasis(text: string): string {
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

/** `*`, `_`, or a backtick. */
function isEmphasis(code: number): boolean {
  return code === 0x2a || code === 0x5f || code === 0x60;
}

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
