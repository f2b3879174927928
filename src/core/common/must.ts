/**
 * For a value the code's own logic guarantees (an index inside a loop's bounds, a regex group that is not
 * optional): returns it, or throws a clear error naming what was missing, instead of a non-null assertion
 * that would let `undefined` travel on. With `noUncheckedIndexedAccess`, prefer a real check or a default
 * where absence is possible; use this where it is a bug.
 */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new MissingValueError(what);
  }
  return value;
}

/** Thrown by `must`: an internal invariant broke (never bad input). */
export class MissingValueError extends Error {
  readonly reason = 'missing-value';

  constructor(readonly what: string) {
    super(`internal error: ${what} is missing`);
    this.name = 'MissingValueError';
  }

  static is(error: unknown): error is MissingValueError {
    return error instanceof Error && (error as Partial<MissingValueError>).reason === 'missing-value';
  }
}
