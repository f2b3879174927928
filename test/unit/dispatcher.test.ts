/**
 * The dispatcher's policy on a fake clock with scripted in-process providers: every failure kind ends as
 * retried, parked, fallen back or failed with what to do. The same policy runs against the real CLIs in
 * test/agents/providerFaults.test.ts.
 */
import assert from 'node:assert/strict';
import { AgentDispatcher, type DispatchEvent, type DispatchResult, type DispatcherOptions } from '../../src/core/providers/dispatcher';
import type { FailureInfo } from '../../src/core/providers/failures';
import {
  NO_USAGE,
  type AgentProvider,
  type Detection,
  type ProviderEvent,
  type ProviderName,
  type ProviderResult,
  type TaskRun,
} from '../../src/core/providers/provider';
import { FakeClock as StillClock } from '../support/fakeClock';

/** Starts at a non-zero time, as a real clock would. */
class FakeClock extends StillClock {
  constructor() {
    super(1_000_000);
  }
}

/** One scripted run: the events it streams, then success or a failure of a kind. */
interface Step {
  readonly events?: ProviderEvent[];
  readonly fail?: FailureInfo & { message?: string };
}

class ScriptedProvider implements AgentProvider {
  readonly loginHint: string;
  readonly runs: TaskRun[] = [];
  constructor(
    readonly name: ProviderName,
    private readonly _steps: Step[],
    private readonly _detection: Detection = { installed: true, authenticated: true },
  ) {
    this.loginHint = `log in to ${name}`;
  }
  async detect(): Promise<Detection> {
    return this._detection;
  }
  async *run(task: TaskRun): AsyncGenerator<ProviderEvent, ProviderResult> {
    this.runs.push(task);
    const step = this._steps.shift() ?? {};
    const sessionId = task.resumeSessionId ?? `${this.name}-session-${this.runs.length}`;
    yield { type: 'session', sessionId };
    for (const event of step.events ?? []) {
      yield event;
    }
    const usage = { inputTokens: 10, outputTokens: 5, cachedTokens: 0 };
    if (step.fail) {
      return { success: false, message: step.fail.message ?? `scripted ${step.fail.kind}`, sessionId, usage, costUsd: 0.01, durationMs: 1, failure: step.fail };
    }
    return { success: true, message: 'done', sessionId, usage, costUsd: 0.01, durationMs: 1 };
  }
}

async function dispatch(
  options: Omit<DispatcherOptions, 'clock'> & { clock?: FakeClock },
  signal?: AbortSignal,
): Promise<{ events: DispatchEvent[]; result: DispatchResult; clock: FakeClock }> {
  const clock = options.clock ?? new FakeClock();
  const dispatcher = new AgentDispatcher({ random: () => 0.5, backoff: { baseMs: 1000, maxMs: 8000 }, ...options, clock });
  const events: DispatchEvent[] = [];
  const run = dispatcher.run({ prompt: 'Write hello.txt', cwd: '/work', ...(signal ? { signal } : {}) });
  for (let next = await run.next(); ; next = await run.next()) {
    if (next.done) {
      return { events, result: next.value, clock };
    }
    events.push(next.value);
  }
}

const kinds = (events: DispatchEvent[]): string[] => events.filter((e) => e.type !== 'agent').map((e) => e.type);

describe('provider dispatcher', () => {
  for (const kind of ['rate-limit', 'server', 'network', 'killed'] as const) {
    it(`retries a transient failure (${kind}) on the same provider with backoff, then succeeds`, async () => {
      const claude = new ScriptedProvider('claude-code', [{ fail: { kind } }, { fail: { kind } }, {}]);
      const { events, result, clock } = await dispatch({ chain: [claude] });
      assert.equal(result.outcome, 'done');
      assert.equal(result.runs, 3);
      assert.deepEqual(kinds(events), ['attempt', 'retrying', 'attempt', 'retrying', 'attempt']);
      assert.deepEqual(clock.slept, [500, 1000], 'full jitter (0.5) of 1 s, then of 2 s');
      assert.deepEqual(result.usage, { inputTokens: 30, outputTokens: 15, cachedTokens: 0 }, 'usage summed over every run');
      assert.ok(Math.abs((result.costUsd ?? 0) - 0.03) < 1e-9);
    });
  }

  it('gives up after the attempts with a message that says what to do when there is no fallback', async () => {
    const claude = new ScriptedProvider('claude-code', [
      { fail: { kind: 'server', message: 'API Error: 529 Overloaded' } },
      { fail: { kind: 'server', message: 'API Error: 529 Overloaded' } },
    ]);
    const { result } = await dispatch({ chain: [claude], attemptsPerProvider: 2 });
    assert.equal(result.outcome, 'failed');
    assert.equal(
      result.message,
      'claude-code failed 2 times, last: API Error: 529 Overloaded. It may be down or overloaded: retry the task later, or add another provider to the fallback chain.',
    );
  });

  it('falls back after repeated failures and hands over a written summary of what was done', async () => {
    const claude = new ScriptedProvider('claude-code', [
      {
        events: [
          { type: 'file_change', path: '/work/a.txt', kind: 'create' },
          { type: 'command', command: 'npm test', exitCode: 1 },
          { type: 'text', text: 'Tests fail, fixing.' },
        ],
        fail: { kind: 'rate-limit', status: 429, message: 'API Error: Request rejected (429)' },
      },
      { fail: { kind: 'rate-limit', status: 429, message: 'API Error: Request rejected (429)' } },
    ]);
    const codex = new ScriptedProvider('openai-codex', [{}]);
    const { events, result } = await dispatch({ chain: [claude, codex], attemptsPerProvider: 2 });
    assert.equal(result.outcome, 'done');
    assert.equal(result.provider, 'openai-codex');
    assert.equal(claude.runs[1]?.resumeSessionId, 'claude-code-session-1', 'the retry continued the conversation that had made progress');
    const fallback = events.find((e) => e.type === 'fallback');
    assert.ok(fallback?.type === 'fallback' && fallback.from === 'claude-code' && fallback.to === 'openai-codex');
    const prompt = codex.runs[0]!.prompt;
    assert.ok(prompt.startsWith('Write hello.txt\n\n## Handed over from claude-code'), prompt);
    for (const part of [
      '- create /work/a.txt',
      '- ran `npm test (exit 1)`',
      'its last message: Tests fail, fixing.',
      'failed 2 times, last: API Error: Request rejected (429)',
    ]) {
      assert.ok(prompt.includes(part), `${part} missing from:\n${prompt}`);
    }
  });

  it('falls back at once on an auth failure, and fails with the login fix when nothing is left', async () => {
    const claude = new ScriptedProvider('claude-code', [{ fail: { kind: 'auth', status: 401, message: 'Invalid API key · Fix external API key' } }]);
    const codex = new ScriptedProvider('openai-codex', [{ fail: { kind: 'auth', status: 401, message: 'unexpected status 401 Unauthorized' } }]);
    const { events, result } = await dispatch({ chain: [claude, codex] });
    assert.deepEqual(kinds(events), ['attempt', 'fallback', 'attempt']);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.message, 'openai-codex: unexpected status 401 Unauthorized. log in to openai-codex');
    assert.equal(result.runs, 2, 'no retry of a rejected login');
  });

  it('checks each provider before its first run: a missing or logged-out CLI never runs', async () => {
    const claude = new ScriptedProvider('claude-code', [], { installed: false, fix: 'Install Claude Code' });
    const codex = new ScriptedProvider('openai-codex', [], { installed: true, authenticated: false, fix: 'Run "codex login"' });
    const { result } = await dispatch({ chain: [claude, codex] });
    assert.equal(result.outcome, 'failed');
    assert.equal(result.message, 'openai-codex: not logged in. Run "codex login".');
    assert.equal(claude.runs.length + codex.runs.length, 0);
  });

  it('parks a usage limit until its reset when no fallback can take it, then continues', async () => {
    const clock = new FakeClock();
    const resetsAt = clock.time + 3 * 3600_000;
    const claude = new ScriptedProvider('claude-code', [
      { fail: { kind: 'usage-limit', resetsAt, message: "You've hit your session limit · resets 3pm" } },
      {},
    ]);
    const { events, result } = await dispatch({ chain: [claude], clock });
    assert.equal(result.outcome, 'done');
    const parked = events.find((e) => e.type === 'parked');
    assert.ok(parked?.type === 'parked' && parked.until === resetsAt && parked.reason.includes('resets 3pm'));
    assert.equal(clock.time, resetsAt, 'slept exactly until the reset');
  });

  it('falls back on a usage limit when another provider is free, and parks a limit without a reset for the default time', async () => {
    const claude = new ScriptedProvider('claude-code', [{ fail: { kind: 'usage-limit' } }]);
    const codex = new ScriptedProvider('openai-codex', [{}]);
    const { result } = await dispatch({ chain: [claude, codex] });
    assert.equal(result.provider, 'openai-codex');
    const clock = new FakeClock();
    const alone = new ScriptedProvider('claude-code', [{ fail: { kind: 'usage-limit' } }, {}]);
    const parked = await dispatch({ chain: [alone], clock, defaultParkMs: 600_000 });
    assert.equal(parked.result.outcome, 'done');
    assert.deepEqual(clock.slept, [600_000]);
  });

  it("the agent's own failure (max turns) is the task's: no retry, no fallback", async () => {
    const claude = new ScriptedProvider('claude-code', [{ fail: { kind: 'agent', message: 'error_max_turns' } }]);
    const codex = new ScriptedProvider('openai-codex', [{}]);
    const { result } = await dispatch({ chain: [claude, codex] });
    assert.equal(result.outcome, 'failed');
    assert.equal(result.message, 'claude-code: error_max_turns');
    assert.equal(codex.runs.length, 0);
  });

  it('a permission denial fails the run with the denied tool and how to allow it', async () => {
    const claude = new ScriptedProvider('claude-code', [{ events: [{ type: 'permission_denied', tool: 'Write', summary: '/etc/x' }] }]);
    const { result } = await dispatch({ chain: [claude] });
    assert.equal(result.outcome, 'failed');
    assert.equal(result.failure?.kind, 'permission');
    assert.match(result.message, /^claude-code was not allowed to: Write \/etc\/x\. Allow it in the settings/);
  });

  it('cancelling while parked ends the run as cancelled, without waiting for the reset', async () => {
    const abort = new AbortController();
    const clock = new FakeClock();
    clock.sleep = async (_ms, signal) => {
      abort.abort();
      throw signal?.reason;
    };
    const claude = new ScriptedProvider('claude-code', [{ fail: { kind: 'usage-limit', resetsAt: clock.time + 3600_000 } }]);
    const { result } = await dispatch({ chain: [claude], clock }, abort.signal);
    assert.equal(result.outcome, 'cancelled');
  });

  it('a provider kept out by its circuit breaker is skipped for the next task', async () => {
    const claude = new ScriptedProvider('claude-code', [{ fail: { kind: 'server' } }, { fail: { kind: 'server' } }]);
    const codex = new ScriptedProvider('openai-codex', [{}, {}]);
    const clock = new FakeClock();
    const dispatcher = new AgentDispatcher({
      chain: [claude, codex],
      attemptsPerProvider: 2,
      breaker: { failureThreshold: 2, cooldownMs: 60_000 },
      clock,
      random: () => 0,
    });
    for (let task = 0; task < 2; task++) {
      const run = dispatcher.run({ prompt: 'x', cwd: '/work' });
      let next = await run.next();
      while (!next.done) {
        next = await run.next();
      }
      assert.equal(next.value.provider, 'openai-codex');
    }
    assert.equal(claude.runs.length, 2, 'the second task did not try claude-code again');
    assert.equal(dispatcher.headroom('claude-code'), 0);
  });

  it("a real 429 the CLI is waiting out holds the provider's other requests as long", async () => {
    const clock = new FakeClock();
    const claude = new ScriptedProvider('claude-code', [{ events: [{ type: 'retry', attempt: 1, status: 429, delayMs: 30_000 }] }, {}]);
    const dispatcher = new AgentDispatcher({ chain: [claude], clock });
    for (let task = 0; task < 2; task++) {
      const run = dispatcher.run({ prompt: 'x', cwd: '/work' });
      let next = await run.next();
      while (!next.done) {
        next = await run.next();
      }
    }
    assert.deepEqual(clock.slept, [30_000], 'the second task waited for the hold');
  });

  it('a provider held for an hour (a long retry-after) hands this task and the next ones to another at once', async () => {
    const clock = new FakeClock();
    const api = new ScriptedProvider('anthropic', [{ events: [{ type: 'retry', attempt: 1, status: 429, delayMs: 3_600_000 }], fail: { kind: 'rate-limit' } }]);
    const local = new ScriptedProvider('local-model', [{}, {}]);
    const dispatcher = new AgentDispatcher({ chain: [api, local], clock, backoff: { baseMs: 1000, maxMs: 8000 }, random: () => 0.5 });
    const outcomes: DispatchEvent[][] = [];
    for (let task = 0; task < 2; task++) {
      const events: DispatchEvent[] = [];
      const run = dispatcher.run({ prompt: 'x', cwd: '/work' });
      let next = await run.next();
      while (!next.done) {
        events.push(next.value);
        next = await run.next();
      }
      assert.equal(next.value.outcome, 'done');
      assert.equal(next.value.provider, 'local-model');
      outcomes.push(events);
    }
    assert.deepEqual(kinds(outcomes[0]!), ['attempt', 'fallback', 'attempt'], 'no retry into the hold');
    assert.deepEqual(kinds(outcomes[1]!), ['fallback', 'attempt'], 'the next task does not wait an hour for anthropic');
    assert.equal(api.runs.length, 1);
    assert.deepEqual(clock.slept, [], 'nobody waited for the hold');
  });

  it('rate limits with a known end do not open the circuit breaker', async () => {
    const clock = new FakeClock();
    const limited = (): Step => ({ events: [{ type: 'retry', attempt: 1, status: 429, delayMs: 2000 }], fail: { kind: 'rate-limit' } });
    const api = new ScriptedProvider('anthropic', [limited(), limited(), limited(), {}]);
    const { result } = await dispatch({ chain: [api], clock, attemptsPerProvider: 4, breaker: { failureThreshold: 3, cooldownMs: 300_000 } });
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(api.runs.length, 4, 'three rate limits in a row, each waited out, then the task ran');
  });

  it('resumes an interrupted conversation on the provider that had it', async () => {
    const claude = new ScriptedProvider('claude-code', []);
    const codex = new ScriptedProvider('openai-codex', [{}]);
    const dispatcher = new AgentDispatcher({ chain: [claude, codex], clock: new FakeClock() });
    const run = dispatcher.run({ prompt: 'go on', cwd: '/work', resume: { provider: 'openai-codex', sessionId: 'thread-7' } });
    let next = await run.next();
    while (!next.done) {
      next = await run.next();
    }
    assert.equal(next.value.provider, 'openai-codex');
    assert.equal(claude.runs.length, 0);
    assert.equal(codex.runs[0]?.resumeSessionId, 'thread-7');
  });

  it('a conversation the provider lost (killed before saving it) starts over with the whole task', async () => {
    const claude = new ScriptedProvider('claude-code', [
      { fail: { kind: 'agent', message: 'error_during_execution: No conversation found with session ID: abc' } },
      {},
    ]);
    const dispatcher = new AgentDispatcher({ chain: [claude], clock: new FakeClock() });
    const run = dispatcher.run({
      prompt: 'go on',
      freshPrompt: '# Task 3: the whole task',
      cwd: '/work',
      resume: { provider: 'claude-code', sessionId: 'abc' },
    });
    let next = await run.next();
    while (!next.done) {
      next = await run.next();
    }
    assert.equal(next.value.outcome, 'done');
    assert.deepEqual(
      claude.runs.map((r) => [r.resumeSessionId, r.prompt]),
      [
        ['abc', 'go on'],
        [undefined, '# Task 3: the whole task'],
      ],
    );
  });

  it('reports no usage and the install fix when nothing could run', async () => {
    const claude = new ScriptedProvider('claude-code', [], { installed: false, fix: 'Install it' });
    const { result } = await dispatch({ chain: [claude] });
    assert.deepEqual(result.usage, NO_USAGE);
    assert.equal(result.message, 'claude-code: Install it.');
  });
});
