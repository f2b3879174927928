/**
 * ACA plan files, JSON or TOML (smol-toml), and the original Rust tool's plans: read, validate with zod
 * (every problem names the file, the field path and, for tasks parsed from markdown, the line), write.
 * A plan written and read back is the same plan.
 */
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { planSchema, type Plan } from '../model/plan';
import { checkTaskGraph } from '../tasks/graph';
import { fieldPath, PlanError, type Problem } from './problems';
import { convertSeedPlan, isSeedPlan } from './seedPlan';

export type PlanFormat = 'json' | 'toml';

/** The format from a file name's extension, case-insensitive; undefined for anything else. */
export function planFormatOf(file: string): PlanFormat | undefined {
  const extension = /\.([^./\\]+)$/.exec(file)?.[1]?.toLowerCase();
  return extension === 'json' ? 'json' : extension === 'toml' ? 'toml' : undefined;
}

/** Parses and validates a plan file's text; throws PlanError listing every problem. */
export function parsePlanText(text: string, file: string, format: PlanFormat): Plan {
  const data = format === 'json' ? parseJsonText(text, file) : parseTomlText(text, file);
  const input = isSeedPlan(data) ? convertSeedPlan(data, file) : data;
  return validatePlan(input, file);
}

/** Validates plan data from anywhere (a file, a model, the webview) against the schema and the graph rules. */
export function validatePlan(data: unknown, file: string): Plan {
  const result = planSchema.safeParse(data);
  if (!result.success) {
    const tasks = isRecord(data) && Array.isArray(data['tasks']) ? data['tasks'] : [];
    throw new PlanError(
      result.error.issues.map((issue): Problem => {
        const taskIndex = issue.path[0] === 'tasks' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
        const line = taskIndex !== undefined ? sourceLine(tasks[taskIndex]) : undefined;
        return { severity: 'error', code: 'plan-invalid', message: issue.message, file, field: fieldPath(issue.path), ...(line ? { line } : {}) };
      }),
    );
  }
  const graphProblems = checkTaskGraph(result.data.tasks, file).filter((p) => p.severity === 'error');
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
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message)?.[1];
    const line = position !== undefined ? text.slice(0, Number(position)).split('\n').length : undefined;
    throw new PlanError([{ severity: 'error', code: 'plan-syntax', message: `not valid JSON: ${message}`, file, ...(line ? { line } : {}) }]);
  }
}

function parseTomlText(text: string, file: string): unknown {
  try {
    return parseToml(text);
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new PlanError([{ severity: 'error', code: 'plan-syntax', message: `not valid TOML: ${message}`, file, ...(line ? { line } : {}) }]);
  }
}

function sourceLine(task: unknown): number | undefined {
  if (isRecord(task) && isRecord(task['source']) && typeof task['source']['line'] === 'number') {
    return task['source']['line'];
  }
  return undefined;
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withoutNulls);
  }
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
