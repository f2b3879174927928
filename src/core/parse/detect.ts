/**
 * Which format a tasks file is written in, from its name, its folder and its text. Detection only
 * chooses a reader; each reader still accepts whatever a file of its family holds.
 */
import type { TasksFormat } from '../model/plan';

export interface DetectInput {
  /** The file's path (any separator); only its name and folders are looked at. */
  readonly file: string;
  readonly text: string;
  /** Names of the files beside it, when the caller has them (cc-sdd keeps a `spec.json` there). */
  readonly siblings?: readonly string[];
}

const SPEC_KIT_TASK_LINE = /^[ \t]*[-*+][ \t]+\[[ xX]\][ \t]+T\d{3,}\b/m;
const SPEC_KIT_TASK_HEADING = /^#{2,6}[ \t]+T\d{3,}\b/m;
const AGENT_PLAN_TASK_HEADING = /^#{2,6}[ \t]+Task[ \t]+\d+\b/m;
const AGENT_PLAN_STEP = /^[ \t]*[-*+][ \t]+\[[ xX]\][ \t]+\*\*Step[ \t]+\d+/m;
const XML_TASK = /^[ \t]*<task\b[^>]*>/m;
const KIRO_FIELD = /^[ \t]*(?:[-*+][ \t]+)?_(?:Requirements?|Requisitos?|Exigences?|Anforderungen|要件)[ \t]*[:：]/im;
const NUMBERED_CHECKBOX = /^([ \t]*)[-*+][ \t]+\[[ xX~-]\]\*?[ \t]+(\d+(?:\.\d+)*)\.?[ \t]/;

/**
 * `json` goes to the JSON readers; `markdown` to the general markdown reader, which names the layout it
 * finds (checklist, numbered headings, plain list, document).
 */
export function detectFormat(input: DetectInput): TasksFormat | 'json' | 'markdown' {
  const normalized = input.file.split('\\').join('/');
  const name = normalized.split('/').pop() ?? normalized;
  const head = input.text.slice(0, 4096).trimStart();
  if (/\.json$/i.test(name) || head.startsWith('{')) {
    return 'json';
  }
  if (/^---\n/.test(input.text) && /\n(status|title)[ \t]*:/.test(input.text.slice(0, 2048)) && (/(^|\/)backlog\//.test(normalized) || /^task-\d+/i.test(name))) {
    return 'backlog-md';
  }
  if (SPEC_KIT_TASK_LINE.test(input.text) || SPEC_KIT_TASK_HEADING.test(input.text)) {
    return 'spec-kit';
  }
  if ((AGENT_PLAN_TASK_HEADING.test(input.text) && AGENT_PLAN_STEP.test(input.text)) || XML_TASK.test(input.text)) {
    return 'agent-plan';
  }
  const inKiroSpecs = /(^|\/)\.kiro\/specs\//.test(normalized);
  if (inKiroSpecs || KIRO_FIELD.test(input.text)) {
    if (input.siblings?.includes('spec.json') || hasFlatNumbering(input.text)) {
      return 'cc-sdd';
    }
    return 'kiro';
  }
  return 'markdown';
}

/** cc-sdd's template: `- [ ] 1. Group` then `- [ ] 1.1 Child` at the same indentation. One pass. */
function hasFlatNumbering(text: string): boolean {
  const groupIndents = new Set<string>();
  for (const line of text.split('\n')) {
    const match = NUMBERED_CHECKBOX.exec(line);
    if (match) {
      if (match[2]!.includes('.') && groupIndents.has(match[1]!)) {
        return true;
      }
      if (!match[2]!.includes('.')) {
        groupIndents.add(match[1]!);
      }
    }
  }
  return false;
}
