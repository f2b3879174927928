import assert from 'node:assert/strict';
import { PlanError } from '../../src/core/model/problems';

/** Asserts `run` throws a PlanError and returns its problems. */
export function problemsOf(run: () => unknown): PlanError['problems'] {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(PlanError.is(caught), `expected a PlanError, got ${String(caught)}`);
  return caught.problems;
}
