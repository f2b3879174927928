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

/** `- [ ] T001 …`, also with the id in bold (`- [ ] **T001** …`). */
const SPEC_KIT_TASK_LINE = /^[ \t]*[-*+][ \t]+\[[ xX]\][ \t]+(?:\*\*)?T\d{3,}\b/m;
const SPEC_KIT_TASK_HEADING = /^#{2,6}[ \t]+T\d{3,}\b/m;
const AGENT_PLAN_TASK_HEADING = /^#{2,6}[ \t]+Task[ \t]+\d+\b/m;
/** A step as a checkbox (`- [ ] **Step 1: …**`) or, in plans without checkboxes, a bold paragraph. */
const AGENT_PLAN_STEP = /^[ \t]*(?:[-*+][ \t]+\[[ xX]\][ \t]+)?\*\*Step[ \t]+\d+/m;
/** `[^>\n]`: a `<task` that never closes its tag costs one line, not the rest of the file. */
const XML_TASK = /^[ \t]*<task(?:[ \t][^>\n]*)?>/m;
const KIRO_FIELD = /^[ \t]*(?:[-*+][ \t]+)?_(?:Requirements?|Requisitos?|Exigences?|Anforderungen|要件)[ \t]*[:：]/im;

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
  if (
    /^---\n/.test(input.text) &&
    /\n(status|title)[ \t]*:/.test(input.text.slice(0, 2048)) &&
    (/(^|\/)backlog\//.test(normalized) || /^task-\d+/i.test(name))
  ) {
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
    // Flat numbering is cc-sdd's template but common in Kiro specs too: only cc-sdd writes spec.json.
    if (input.siblings?.includes('spec.json')) {
      return 'cc-sdd';
    }
    return 'kiro';
  }
  return 'markdown';
}
