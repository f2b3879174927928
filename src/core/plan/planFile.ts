/**
 * ACA plan files, JSON or TOML (smol-toml), and the original Rust tool's plans: read, validate with zod
 * (every problem names the file, the field path and, for tasks parsed from markdown, the line), write.
 * A plan written and read back is the same plan.
 */
import { findNodeAtLocation, parse as parseJsonc, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { readRegularFile, UnsafeFileError } from '../common/untrustedFile';
import { planSchema, type Plan } from '../model/plan';
import { checkTaskGraph } from '../tasks/graph';
import { fieldPath, PlanError, type Problem } from '../model/problems';
import { convertSeedPlan, isSeedPlan } from './seedPlan';
import { jsonTooDeepAt, lineIndex, MAX_NESTING, untrustedDataProblems } from '../model/untrustedData';

export type PlanFormat = 'json' | 'toml';

/** The format from a file name's extension, case-insensitive; undefined for anything else. */
export function planFormatOf(file: string): PlanFormat | undefined {
  const extension = /\.([^./\\]+)$/.exec(file)?.[1]?.toLowerCase();
  return extension === 'json' ? 'json' : extension === 'toml' ? 'toml' : undefined;
}

/** Plan files larger than this are refused unread (like tasks files). */
export const MAX_PLAN_FILE_BYTES = 32 * 1024 * 1024;

/**
 * Reads and parses a plan file: only a regular file under MAX_PLAN_FILE_BYTES is read (a plan may be a
 * symlink to /dev/zero). Throws PlanError naming the file (`display`, default `file`); fs errors such as
 * ENOENT pass through.
 */
export async function readPlanFile(file: string, format: PlanFormat, display = file): Promise<Plan> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, MAX_PLAN_FILE_BYTES);
  } catch (error) {
    if (UnsafeFileError.is(error)) {
      const message =
        error.problem === 'too-large'
          ? `over ${MAX_PLAN_FILE_BYTES} bytes, the limit for plan files; it was not read`
          : 'not a regular file (a device, a FIFO, a socket or a folder); it was not read';
      throw new PlanError([{ severity: 'error', code: error.problem === 'too-large' ? 'file-too-large' : 'file-not-regular', message, file: display }]);
    }
    throw error;
  }
  return parsePlanText(bytes.toString('utf8'), display, format);
}

/** Parses and validates a plan file's text; throws PlanError listing every problem. */
export function parsePlanText(text: string, file: string, format: PlanFormat): Plan {
  try {
    const data = format === 'json' ? parseJsonText(text, file) : parseTomlText(text, file);
    const lineOf = format === 'json' ? jsonLineFinder(text) : undefined;
    // Before any field is read: a `__proto__` key must not become fields the plan never had.
    const unsafe = untrustedDataProblems(data, file, 'plan', lineOf);
    if (unsafe.length > 0) {
      throw new PlanError(unsafe);
    }
    const input = isSeedPlan(data) ? convertSeedPlan(data, file) : data;
    return validatePlan(input, file, lineOf);
  } catch (error) {
    if (PlanError.is(error)) {
      throw error;
    }
    // Whatever else a hostile file provokes (a RangeError…) is still an error about this file.
    throw new PlanError([
      { severity: 'error', code: 'plan-unreadable', message: `could not be read as a plan: ${error instanceof Error ? error.message : String(error)}`, file },
    ]);
  }
}

/** Maps a field path to its line in the file's text, where the format allows. */
export type LineFinder = (path: ReadonlyArray<PropertyKey>) => number | undefined;

/** Validates plan data from anywhere (a file, a model, the webview) against the schema and the graph rules. */
export function validatePlan(data: unknown, file: string, lineOf?: LineFinder): Plan {
  const result = planSchema.safeParse(data);
  if (!result.success) {
    throw new PlanError(
      result.error.issues.map((issue): Problem => {
        const line = lineOf?.(issue.path);
        return { severity: 'error', code: 'plan-invalid', message: issue.message, file, field: fieldPath(issue.path), ...(line ? { line } : {}) };
      }),
    );
  }
  const graphProblems = checkTaskGraph(result.data.tasks, file, (index) => lineOf?.(['tasks', index])).filter((p) => p.severity === 'error');
  if (graphProblems.length > 0) {
    throw new PlanError(graphProblems);
  }
  return result.data;
}

export function serializePlan(plan: Plan, format: PlanFormat): string {
  if (format === 'json') {
    return `${JSON.stringify(plan, null, 2)}\n`;
  }
  // TOML has no null: leave those fields out; the schema's defaults restore them on reading.
  return `${stringifyToml(withoutNulls(plan) as Record<string, unknown>)}\n`;
}

function parseJsonText(text: string, file: string): unknown {
  // jsonc-parser recurses once per level: 100 000 levels overflowed the stack.
  const tooDeep = jsonTooDeepAt(text);
  if (tooDeep !== undefined) {
    throw new PlanError([
      { severity: 'error', code: 'plan-too-deep', message: `arrays and objects are nested more than ${MAX_NESTING} deep`, file, line: lineAt(text, tooDeep) },
    ]);
  }
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0) {
    const lineOf = lineIndex(text);
    throw new PlanError(
      errors.map((error) => ({
        severity: 'error',
        code: 'plan-syntax',
        message: `not valid JSON: ${printParseErrorCode(error.error)}`,
        file,
        line: lineOf(error.offset),
      })),
    );
  }
  // The data from JSON.parse, which keeps a `__proto__` key as a plain key (jsonc-parser assigns it, which
  // sets the object's prototype), so that it can be found and refused.
  return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
}

/** Problems after this many are reported without a line: each lookup may cost a walk of a large object. */
const MAX_LINE_LOOKUPS = 200;

function jsonLineFinder(text: string): LineFinder {
  const tree = parseTree(text);
  const lineOf = lineIndex(text);
  let lookups = 0;
  return (path) => {
    if (++lookups > MAX_LINE_LOOKUPS) {
      return undefined;
    }
    // The deepest node that exists on the path: a missing field is reported at its object.
    for (let length = path.length; tree && length >= 0; length--) {
      const node = findNodeAtLocation(tree, path.slice(0, length) as Array<string | number>);
      if (node) {
        return lineOf(node.offset);
      }
    }
    return undefined;
  };
}

function lineAt(text: string, offset: number): number {
  return lineIndex(text)(offset);
}

function parseTomlText(text: string, file: string): unknown {
  try {
    return parseToml(text, { maxDepth: MAX_NESTING });
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new PlanError([{ severity: 'error', code: 'plan-syntax', message: `not valid TOML: ${message}`, file, ...(line ? { line } : {}) }]);
  }
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withoutNulls);
  }
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
