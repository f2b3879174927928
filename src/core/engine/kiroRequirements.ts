/**
 * The requirements of a Kiro or cc-sdd spec (`requirements.md`): each requirement's title, user story and
 * numbered acceptance criteria, in the languages these tools write specs in; which of them a task cites
 * (`_Requirements: 2.1, 2.3_`, `**Validates: Requirements 1.3**`); and the prompt section that quotes them.
 */
import { parseBlocks, type Block, type ListItemBlock } from '../parse/markdownBlocks';
import type { Task } from '../model/plan';
import { bounded, plainText, sectionEnd } from './specText';

const CRITERION_MAX_CHARS = 2_000;
const STORY_MAX_CHARS = 800;
/** A cited range such as `1.1-1.9` is expanded up to this many criteria. */
const RANGE_MAX = 50;

export interface Requirement {
  /** `1`, `2`… as in `### Requirement 2`. */
  readonly id: string;
  readonly heading: string;
  /** The paragraph(s) under the heading before its sub-headings: Kiro's `**User Story:** …`. */
  readonly story: string;
  readonly criteria: ReadonlyArray<{ readonly number: number; readonly text: string }>;
}

/** Words a requirement heading starts with (lowercased), in the languages Kiro and cc-sdd write specs in. */
const REQUIREMENT_WORDS = new Set([
  'requirement',
  'requirements',
  'req',
  'fr',
  'nfr',
  'r',
  '要件',
  '要求',
  '需求',
  '要求事項',
  'requisito',
  'requisitos',
  'requisiti',
  'exigence',
  'exigences',
  'anforderung',
  'anforderungen',
  'требование',
  'требования',
  '요구사항',
]);
/** What an acceptance-criteria heading contains (lowercased). */
const ACCEPTANCE_WORDS = [
  'acceptance',
  'criteria',
  '受け入れ',
  '受入',
  '验收',
  '驗收',
  '수락',
  '인수',
  'критерии',
  'akzeptanz',
  'aceptación',
  'aceitação',
  'acceptation',
  'accettazione',
  'critères',
  'criterios',
];
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
  const section = blocks.slice(start + 1, end);
  // The user story: the paragraphs before the section's first sub-heading.
  const firstHeading = section.findIndex((block) => block.type === 'heading');
  const bodyEnd = firstHeading < 0 ? section.length : firstHeading;
  const story = section.slice(0, bodyEnd).flatMap((block) => (block.type === 'paragraph' ? [block.text] : []));
  // The criteria are under an "Acceptance Criteria" heading when there is one, else anywhere in the section.
  let from = start + 1;
  let to = end;
  for (const [offset, block] of section.entries()) {
    if (offset >= bodyEnd && block.type === 'heading' && ACCEPTANCE_WORDS.some((w) => block.text.toLowerCase().includes(w))) {
      from = start + offset + 2;
      to = sectionEnd(blocks, start + offset + 1, block.depth);
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
  for (const block of blocks.slice(from, to)) {
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
    const line = lines[i] ?? '';
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

/** The prompt section with the cited criteria, requirement by requirement, and what was cited but not found. */
export function renderCriteria(cited: readonly string[], requirements: ReadonlyMap<string, Requirement>, file: string): string {
  const out = [`## Acceptance criteria this task must meet (from ${file})`];
  const missing: string[] = [];
  // Requirement by requirement, in the order first cited; each with its title and user story.
  const order: string[] = [];
  const wanted = new Map<string, Set<number> | 'all'>();
  const numbersOf = new Map<string, Set<number>>();
  for (const id of cited) {
    const [req = '', criterion] = id.split('.');
    const requirement = requirements.get(req);
    let numbers = numbersOf.get(req);
    if (requirement && !numbers) {
      numbers = new Set(requirement.criteria.map((c) => c.number));
      numbersOf.set(req, numbers);
    }
    if (!requirement || (criterion !== undefined && !numbers?.has(Number(criterion)))) {
      missing.push(id);
      continue;
    }
    const current = wanted.get(req);
    if (current === undefined) {
      order.push(req);
    }
    if (criterion === undefined) {
      wanted.set(req, 'all');
    } else if (current !== 'all') {
      wanted.set(req, (current ?? new Set<number>()).add(Number(criterion)));
    }
  }
  for (const req of order) {
    const requirement = requirements.get(req);
    const which = wanted.get(req);
    if (!requirement || !which) {
      continue; // both were set for every requirement in `order`, above
    }
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
