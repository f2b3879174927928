/**
 * GSD-style `<task>` XML blocks in an agent plan: each block outside fenced code is a task, its `<name>`
 * the title, `<files>` its files, a plain `<verify>` command its check, the rest its description. Read with
 * indexOf and anchored patterns: linear in the file.
 */
import { newTask, type Task } from '../model/plan';
import type { Problem } from '../model/problems';
import { isCheckpointTitle } from './taskFields';
import { pathsInLine } from './taskPaths';

/** `Task 3: Title`, `Task 3 - Title`, `Task 3. Title` (after any emoji); the step reader's task headings too. */
export const TASK_HEADING = /^Task[ \t]+(\d+(?:\.\d+)*)\b[ \t]*(?:[:.\u2013\u2014-][ \t]*)?/i;
const XML_TASK_OPENING = /^[ \t]*<task(?:[ \t][^>\n]*)?>/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Every `<task>` block outside fenced code, in order. One pass over the lines. */
export function readXmlTasks(lines: readonly string[], file: string): { tasks: Task[]; problems: Problem[] } {
  const tasks: Task[] = [];
  const problems: Problem[] = [];
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (fence !== undefined) {
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') {
        fence = undefined;
      }
      continue;
    }
    const opening = FENCE.exec(line)?.[1];
    if (opening !== undefined) {
      fence = opening;
      continue;
    }
    const tag = XML_TASK_OPENING.exec(line);
    if (!tag) {
      continue;
    }
    // The block runs to its `</task>`, or, unclosed, to the next `<task` (said as a warning).
    const firstLine = line.slice(tag[0].length);
    const bodyLines: string[] = [firstLine];
    let end = i;
    let closed = firstLine.includes('</task>');
    for (let next = lines[end + 1]; !closed && next !== undefined && !XML_TASK_OPENING.test(next); next = lines[end + 1]) {
      end++;
      bodyLines.push(next);
      closed = next.includes('</task>');
    }
    if (!closed) {
      problems.push({
        severity: 'warning',
        code: 'task-unclosed',
        message: 'a <task> block has no </task>: it is read up to the next <task> or the end of the file',
        file,
        line: i + 1,
      });
    }
    let body = bodyLines.join('\n');
    if (closed) {
      body = body.slice(0, body.lastIndexOf('</task>'));
    }
    tasks.push(xmlTask(body, tag[0], tasks.length + 1, file, i + 1));
    i = end;
  }
  return { tasks, problems };
}

function xmlTask(body: string, openingTag: string, position: number, file: string, line: number): Task {
  const type = /\btype[ \t]*=[ \t]*"([^"\n]*)"/.exec(openingTag)?.[1] ?? '';
  const name = element(body, 'name');
  const files = element(body, 'files');
  const verify = element(body, 'verify');
  const command = verify ? verifyCommand(verify.content) : undefined;
  const checkpoint = /^checkpoint\b/i.test(type);
  let title = name ? oneLine(name.content).replace(TASK_HEADING, '') : '';
  if (!title && checkpoint) {
    const built = element(body, 'what-built');
    title = built ? `Checkpoint: ${oneLine(built.content)}` : 'Checkpoint';
  }
  const task = newTask({ id: String(position), title: title || `Task ${position}`, parent: null, status: 'pending', source: { file, line } });
  task.checkpoint = checkpoint || isCheckpointTitle(task.title);
  // The paths the title names, then the `<files>` list.
  task.files = pathsInLine(task.title);
  for (const path of files ? pathsInLine(files.content.replace(/,/g, ' ')) : []) {
    if (!task.files.includes(path)) {
      task.files.push(path);
    }
  }
  if (command) {
    task.verify = [command];
  }
  const taken = [name, files, command ? verify : undefined].filter((e): e is XmlElement => e !== undefined);
  task.description = dedent(removeSpans(body, taken));
  return task;
}

interface XmlElement {
  readonly start: number;
  readonly end: number;
  readonly content: string;
}

/** The first `<tag …>…</tag>` in `body`, found with indexOf (linear). */
function element(body: string, tag: string): XmlElement | undefined {
  let from = 0;
  for (;;) {
    const start = body.indexOf(`<${tag}`, from);
    if (start < 0) {
      return undefined;
    }
    const after = body[start + tag.length + 1];
    if (after !== '>' && after !== ' ' && after !== '\t' && after !== '\n') {
      from = start + 1;
      continue;
    }
    const open = body.indexOf('>', start);
    const close = open < 0 ? -1 : body.indexOf(`</${tag}>`, open);
    if (close < 0) {
      return undefined;
    }
    return { start, end: close + tag.length + 3, content: body.slice(open + 1, close) };
  }
}

/** `body` without the given elements; a line an element leaves empty goes with it. */
function removeSpans(body: string, spans: readonly XmlElement[]): string {
  let out = '';
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    let start = span.start;
    while (start > at && (body[start - 1] === ' ' || body[start - 1] === '\t')) {
      start--;
    }
    let end = span.end;
    while (end < body.length && (body[end] === ' ' || body[end] === '\t')) {
      end++;
    }
    if ((start === 0 || body[start - 1] === '\n') && (end === body.length || body[end] === '\n')) {
      end = Math.min(body.length, end + 1);
    } else {
      start = span.start;
      end = span.end;
    }
    out += body.slice(at, start);
    at = end;
  }
  return out + body.slice(at);
}

/**
 * A verify command is run later without a shell: only one plain command line qualifies (`npm test`,
 * `` `pytest tests/x.py` ``, `<automated>go test ./...</automated>`), never prose ("curl … returns 200").
 */
function verifyCommand(content: string): string | undefined {
  let text = element(content, 'automated')?.content ?? content;
  text = text.trim();
  if (text.startsWith('`') && text.endsWith('`') && text.length > 2 && !text.slice(1, -1).includes('`')) {
    text = text.slice(1, -1).trim();
  }
  if (text === '' || text.includes('\n') || text.length > 300 || /[|&;<>$`(){}*?!\\]/.test(text)) {
    return undefined;
  }
  const words = text.split(/[ \t]+/);
  const [program = ''] = words;
  if (!/^(?:\.{0,2}\/)?[\w.@/-]+$/.test(program) || (!COMMANDS.has(program.replace(/^.*\//, '')) && !program.startsWith('./'))) {
    return undefined;
  }
  // Words that make a sentence of it: "npm test passes", "go build succeeds without errors".
  if (words.slice(1).some((w) => PROSE_WORDS.has(w.toLowerCase().replace(/[.,:]$/, '')))) {
    return undefined;
  }
  return text;
}

const COMMANDS = new Set(
  'npm npx pnpm yarn bun bunx node deno tsc eslint prettier jest vitest mocha playwright python python3 pytest uv uvx poetry pip ruff mypy black go cargo rustc make cmake mvn gradle gradlew dotnet ruby bundle rake rspec rails php composer phpunit mix elixir swift xcodebuild flutter dart java kotlin sbt lein zig nix docker git grep'.split(
    ' ',
  ),
);
const PROSE_WORDS = new Set([
  'returns',
  'return',
  'passes',
  'pass',
  'succeeds',
  'should',
  'must',
  'shows',
  'prints',
  'outputs',
  'works',
  'without',
  'with',
  'and',
  'then',
  'expect',
  'expected',
  'exits',
  'fails',
  'responds',
  'is',
  'are',
  'all',
  'no',
  'green',
]);

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Without the indentation all its lines share, and without blank lines at its ends. */
function dedent(text: string): string {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[0]?.trim() === '') {
    lines.shift();
  }
  while (lines.length > 0 && lines.at(-1)?.trim() === '') {
    lines.pop();
  }
  let indent = Number.POSITIVE_INFINITY;
  for (const line of lines) {
    if (line.trim() !== '') {
      indent = Math.min(indent, line.length - line.trimStart().length);
    }
  }
  return lines.map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length))).join('\n');
}
