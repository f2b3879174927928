/**
 * The parts of a Kiro or cc-sdd `design.md` a task's prompt gets: the sections that speak of the task's
 * files, title words or cited requirements (scored, bounded, in document order), else the design's overview.
 * Key words are found in languages written without spaces too (Japanese, Chinese, Korean).
 */
import { parseBlocks } from '../parse/markdownBlocks';
import type { Task } from '../model/plan';
import { bounded, plainText } from './specText';

const DESIGN_MAX_CHARS = 12_000;
const DESIGN_SECTION_MAX_CHARS = 6_000;
const DESIGN_MAX_SECTIONS = 6;

export interface Section {
  readonly heading: string;
  /** The section's source, its heading line included, up to the next heading of any level. */
  readonly text: string;
  /** Lowercased, for matching. */
  readonly lower: string;
}

/** A markdown file cut at every heading: each section runs to the next heading. */
export function parseSections(text: string): Section[] {
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
  'with',
  'from',
  'that',
  'this',
  'into',
  'each',
  'also',
  'only',
  'when',
  'then',
  'than',
  'them',
  'they',
  'their',
  'have',
  'will',
  'should',
  'must',
  'shall',
  'make',
  'makes',
  'ensure',
  'implement',
  'implementation',
  'create',
  'write',
  'update',
  'add',
  'adds',
  'using',
  'use',
  'file',
  'files',
  'test',
  'tests',
  'unit',
  'task',
  'tasks',
  'support',
  'new',
  'all',
  'and',
  'for',
  'the',
  'set',
  'setup',
  'code',
  'based',
  'checkpoint',
  'ask',
  'user',
  'questions',
  'arise',
  'pass',
  'passes',
  'ensure',
  'properly',
  'correctly',
  'basic',
  'initial',
  'core',
]);

/** The sections of the design that speak of the task; else its overview. Bounded, in document order. */
export function relevantSections(sections: readonly Section[], task: Task, cited: readonly string[]): { text: string; relevant: boolean } {
  // The title says what the task is about; its description (the bullets under it) adds the particulars.
  const words = keyWords(`${task.title}\n${task.description.slice(0, 1_000)}`);
  const files = [...task.files, ...task.references.map((r) => r.path)].map((f) => f.toLowerCase());
  const names = [...new Set(files.flatMap((f) => [f, f.split('/').at(-1) ?? f]).filter((f) => f.length >= 3))].slice(0, 40);
  const citations = cited.slice(0, 20).flatMap((id) => [`requirement ${id}`, `requirements ${id}`, `requirements: ${id}`]);
  const scored = sections.map((section, index) => {
    const heading = section.heading.toLowerCase();
    const fileHits = names.filter((n) => section.lower.includes(n)).length;
    const headingHits = words.filter((w) => heading.includes(w)).length;
    const textHits = words.filter((w) => section.lower.includes(w)).length;
    const citationHits = citations.filter((c) => section.lower.includes(c)).length;
    const relevant = fileHits > 0 || headingHits > 0 || textHits >= 2 || citationHits > 0;
    return { index, section, relevant, score: 4 * fileHits + 3 * headingHits + textHits + 2 * citationHits };
  });
  const chosen = scored
    .filter((s) => s.relevant)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, DESIGN_MAX_SECTIONS);
  if (chosen.length > 0) {
    const kept: Array<{ index: number; section: Section }> = [];
    let room = DESIGN_MAX_CHARS;
    for (const { index, section } of chosen) {
      const size = Math.min(section.text.length, DESIGN_SECTION_MAX_CHARS);
      if (size <= room) {
        kept.push({ index, section });
        room -= size;
      }
    }
    kept.sort((a, b) => a.index - b.index);
    return { text: kept.map(({ section }) => bounded(section.text, DESIGN_SECTION_MAX_CHARS)).join('\n\n'), relevant: true };
  }
  const overview =
    sections.find((s) => /overview|summary|introduction|概要|概述|はじめに|aperçu|übersicht|resumen|visão geral|обзор/i.test(s.heading)) ?? sections[0];
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
