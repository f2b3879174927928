/**
 * A problem found in a tasks file, a plan file or a model's answer: always says where (file, and the
 * line and/or field path when known), so the CLI can print it and VS Code can put it in Problems.
 */

export type ProblemSeverity = 'error' | 'warning';

export interface Problem {
  readonly severity: ProblemSeverity;
  /** A stable code for tests and quick fixes, e.g. `reference-missing`, `dependency-cycle`. */
  readonly code: string;
  readonly message: string;
  readonly file: string;
  /** 1-based. */
  readonly line?: number;
  /** The field path inside a plan, e.g. `tasks[3].dependsOn[0]`. */
  readonly field?: string;
}

/** `file:line: field: message`, leaving out what is unknown. */
export function formatProblem(problem: Problem): string {
  const where = problem.line !== undefined ? `${problem.file}:${problem.line}` : problem.file;
  const field = problem.field ? ` ${problem.field}:` : '';
  return `${where}:${field} ${problem.severity === 'warning' ? 'warning: ' : ''}${problem.message}`;
}

/** Thrown when a plan cannot be used; carries every problem found, not just the first. */
export class PlanError extends Error {
  readonly reason = 'invalid-plan' as const;

  constructor(readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'PlanError';
  }

  static is(error: unknown): error is PlanError {
    return error instanceof Error && (error as Partial<PlanError>).reason === 'invalid-plan';
  }
}

/** `tasks[3].dependsOn[0]` from a zod issue path. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') {
      out += `[${key}]`;
    } else {
      out += out === '' ? String(key) : `.${String(key)}`;
    }
  }
  return out || '(root)';
}
