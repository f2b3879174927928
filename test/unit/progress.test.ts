import assert from 'node:assert/strict';
import { planSchema } from '../../src/core/model/plan';
import { forecastRun, PER_UNIT } from '../../src/core/engine/forecast';
import { applyEvent, type SessionEvent, type SessionState } from '../../src/core/session/events';
import { formatDuration, progressReport } from '../../src/core/session/progress';

describe('progress and ETA', () => {
  it('estimates what is left from finished tasks of the same complexity, scaled when none matches', () => {
    const plan = planSchema.parse({
      version: 1,
      name: 'p',
      tasks: [
        { id: '1', title: 'a', complexity: 'simple' },
        { id: '2', title: 'b', complexity: 'simple' },
        { id: '3', title: 'c', complexity: 'simple' },
        { id: '4', title: 'd', complexity: 'complex' },
        { id: '5', title: 'e', complexity: 'simple' },
      ],
    });
    const events: SessionEvent[] = [
      { type: 'session_created', sessionId: 's', plan },
      { type: 'task_started', taskId: '1', attempt: 1 },
      { type: 'task_done', taskId: '1', durationMs: 10_000 },
      { type: 'task_started', taskId: '2', attempt: 1 },
      { type: 'task_done', taskId: '2', durationMs: 30_000 },
      { type: 'task_started', taskId: '3', attempt: 1 },
      { type: 'task_failed', taskId: '3', error: 'x', retryable: false, durationMs: 5000 },
      { type: 'task_started', taskId: '5', attempt: 1 },
    ];
    const state = events.reduce<SessionState | undefined>((s, e, i) => applyEvent(s, e, i + 1), undefined)!;
    const progress = progressReport(state, 1);
    // simple tasks took 20 s on average (10 s per unit); task 4 is complex (8 units) → 80 s; task 5 simple → 20 s.
    assert.deepEqual(progress, { done: 2, total: 5, running: 1, failed: 1, etaMs: 100_000 });
    assert.equal(progressReport(state, 2).etaMs, 50_000, 'two at once halve it');
    assert.equal(formatDuration(100_000), '1m40s');
    assert.equal(formatDuration(3 * 3600_000 + 60_000), '3h01m');
  });
});

describe('forecast before a run', () => {
  it("sums the waiting tasks' complexity into tokens, dollars and time, with the configured prices", async () => {
    const plan = planSchema.parse({
      version: 1,
      name: 'p',
      tasks: [
        { id: '1', title: 'a', complexity: 'trivial' },
        { id: '2', title: 'b', complexity: 'complex' },
        { id: '3', title: 'c', status: 'done' },
        { id: '4', title: 'group' },
        { id: '4.1', title: 'child', parent: '4' },
        { id: '5', title: 'optional', optional: true },
      ],
    });
    const forecast = forecastRun(plan, undefined, { model: 'claude-sonnet-4-5', concurrency: 2 });
    const units = 1 + 8 + 4; // trivial, complex, and the child (moderate); the group, the done and the optional task are not run
    assert.equal(forecast.tasks, 3);
    assert.equal(forecast.inputTokens, units * PER_UNIT.inputTokens);
    const input = units * PER_UNIT.inputTokens;
    const expected = (input * (1 - PER_UNIT.cachedShare) * 3 + input * PER_UNIT.cachedShare * 0.3 + units * PER_UNIT.outputTokens * 15) / 1e6;
    assert.ok(Math.abs(forecast.costUsd! - expected) < 1e-6, `${forecast.costUsd} vs ${expected}`);
    assert.equal(forecast.minutes, (units * PER_UNIT.minutes) / 2);
    assert.equal(forecastRun(plan, undefined, { model: 'my-local-model' }).costUsd, undefined, 'no price, no made-up cost');
    assert.ok(forecastRun(plan, undefined, { model: 'my-local-model', prices: { 'my-local-model': { input: 1, output: 1, cached: 0 } } }).costUsd! > 0);
  });
});
