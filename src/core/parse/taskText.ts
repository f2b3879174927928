/**
 * Building a task's text as a reader finds it: titles shortened to whole graphemes, descriptions appended,
 * references added once, link targets read (local, decoded, without query or fragment). Shared by the
 * markdown, spec-kit and agent-plan readers; the lists they append to stay exact-sized (appendToList).
 */
import type { Reference, Task } from '../model/plan';
import { pushAll } from '../common/arrays';
import { pathArrow } from './taskPaths';
import { trimBlankEnds } from './ownedText';

/** Titles longer than this (in grapheme clusters) are shortened; the full text stays in the description. */
export const MAX_TITLE_GRAPHEMES = 200;

export function appendDescription(task: Task, text: string, separator = '\n'): void {
  const trimmed = trimBlankEnds(text);
  if (trimmed) {
    task.description = task.description ? `${task.description}${separator}${trimmed}` : trimmed;
  }
}

export function addReference(task: Task, path: string): void {
  const cleaned = path.trim().replace(/^<(.*)>$/, '$1');
  if (cleaned && !task.references.some((r: Reference) => r.path === cleaned)) {
    task.references = appendToList(task.references, [{ path: cleaned, found: false }]);
  }
}

/**
 * A task's list with `items` added. Most lists hold one or two entries: an empty one is replaced by an exact
 * copy, as a push into it would reserve 16 slots, megabytes more for the garbage collector to copy in a
 * large file. Longer ones are pushed to, which stays linear.
 */
export function appendToList<T>(list: T[], items: readonly T[]): T[] {
  if (list.length === 0) {
    return items.slice();
  }
  pushAll(list, items);
  return list;
}

/** The list itself when empty, else an exact copy of it (see appendToList). */
export function exactList<T>(list: T[]): T[] {
  return list.length === 0 ? list : list.slice();
}

let graphemes: Intl.Segmenter | undefined;

/** Only this many UTF-16 units of a title are segmented: enough for MAX_TITLE_GRAPHEMES of ordinary text. */
const TITLE_SEGMENTED_UNITS = MAX_TITLE_GRAPHEMES * 32;

/** Shortens to MAX_TITLE_GRAPHEMES grapheme clusters, so no character (nor emoji sequence) is cut. */
export function shortenTitle(title: string): string {
  // A grapheme is at least one UTF-16 unit: a short string cannot be over the limit (the common case).
  if (title.length <= MAX_TITLE_GRAPHEMES) {
    return title;
  }
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  // V8's segmenter costs time in the length of the whole string at every step: segment a bounded prefix
  // only. Every cluster but the prefix's last is whole, and at most MAX_TITLE_GRAPHEMES - 1 are kept.
  const prefix = title.slice(0, TITLE_SEGMENTED_UNITS);
  const segments: string[] = [];
  for (const { segment } of graphemes.segment(prefix)) {
    segments.push(segment);
    if (segments.length > MAX_TITLE_GRAPHEMES) {
      break;
    }
  }
  if (prefix.length === title.length && segments.length <= MAX_TITLE_GRAPHEMES) {
    return title;
  }
  // Over the limit, or a title of giant clusters (combining marks): the prefix's last cluster may be cut.
  const kept = Math.min(MAX_TITLE_GRAPHEMES - 1, segments.length - 1);
  return `${segments.slice(0, kept).join('').trimEnd()}…`;
}

export function isLocalTarget(url: string): boolean {
  return url !== '' && !url.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('//');
}

export function decodeTarget(url: string): string {
  const withoutFragment = withoutQueryOrFragment(url);
  try {
    return decodeURIComponent(withoutFragment);
  } catch {
    return withoutFragment; // a malformed %-escape: the target as written
  }
}

/** `url` up to its first `?` or `#`. */
export function withoutQueryOrFragment(url: string): string {
  const query = url.indexOf('?');
  const fragment = url.indexOf('#');
  const end = query === -1 ? fragment : fragment === -1 ? query : Math.min(query, fragment);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * The seed's reference syntax at the end of a line, `text -> path` (also `→`), when a path follows the
 * arrow (`T030 → T031` is prose): see pathArrow in taskFields.ts.
 */
export function arrowReference(line: string): { index: number; target: string } | undefined {
  return pathArrow(line);
}
