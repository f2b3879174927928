/**
 * The engine against an in-process agent and a real journal on disk: the state machine, verification and
 * its retries, failure policies, groups, optional tasks, budgets, stop/resume and the checkbox write-back.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Engine, predictedFiles, type EngineOptions, type TaskAgent } from '../../src/core/engine/engine';
import { planSchema, type PlanInput } from '../../src/core/model/plan';
import { planFromTasksFile } from '../../src/core/plan/buildPlan';
import type { DispatchEvent, DispatchResult, DispatchTask } from '../../src/core/providers/dispatcher';
import { systemClock, type Clock } from '../../src/core/providers/limits';
import type { SessionEvent } from '../../src/core/session/events';
import { loadSession, SessionWriter } from '../../src/core/session/sessionStore';
import { describeTranscriptEntry, readTranscript } from '../../src/core/session/transcripts';
import { rankReady, schedulingGraph } from '../../src/core/schedule/scheduler';
import { FileCheckpoints } from '../../src/core/workspace/fileCheckpoints';
import { useTempDirs } from '../support/processes';

/** Does what each task's prompt asks by a rule of the test; records every prompt. */
class InProcessAgent implements TaskAgent {
  readonly prompts: Array<{ taskTitle: string; request: DispatchTask }> = [];
  running = 0;
  maxRunning = 0;
  constructor(
    private readonly _behave: (
      title: string,
      request: DispatchTask,
      attempt: number,
    ) => Promise<Partial<DispatchResult>> | Partial<DispatchResult> = () => ({}),
  ) {}

  async *run(request: DispatchTask): AsyncGenerator<DispatchEvent, DispatchResult> {
    const title = /^# Task \S+: (.*)$/m.exec(request.prompt)?.[1] ?? '(resumed)';
    this.prompts.push({ taskTitle: title, request });
    const attempt = this.prompts.filter((p) => p.taskTitle === title).length;
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      yield { type: 'agent', provider: 'claude-code', event: { type: 'session', sessionId: `s-${title}-${attempt}` } };
      await new Promise((resolve) => setTimeout(resolve, 5));
      const outcome = await this._behave(title, request, attempt);
      return {
        outcome: 'done',
        provider: 'claude-code',
        message: `did ${title}`,
        usage: { inputTokens: 100, outputTokens: 10, cachedTokens: 0 },
        costUsd: 0.01,
        durationMs: 5,
        runs: 1,
        ...outcome,
      };
    } finally {
      this.running--;
    }
  }
}

/** Every file under a folder, recursively. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const task = (id: string, fields: Partial<PlanInput['tasks'][number]> = {}): PlanInput['tasks'][number] => ({ id, title: `task ${id}`, ...fields });

describe('engine', () => {
  const dirs = useTempDirs('sessions', 'ws');

  async function runPlan(tasks: PlanInput['tasks'], agent: TaskAgent, options: Partial<EngineOptions> = {}, strategy?: PlanInput['strategy']) {
    const plan = planSchema.parse({ version: 1, name: 'p', tasks, ...(strategy ? { strategy } : {}) });
    const writer = await SessionWriter.create(dirs.sessions, plan);
    const engine = new Engine({ writer, agent, workspace: dirs.ws, retryBackoff: { baseMs: 0, maxMs: 0 }, ...options });
    const events: SessionEvent[] = [];
    engine.onEvent((e) => {
      if (e.type === 'journal') {
        events.push(e.event);
      }
    });
    const summary = await engine.run();
    const state = writer.state;
    await writer.close();
    return { summary, state, events, writer };
  }

  it('runs tasks in dependency order through pending → running → done, journaling each step', async () => {
    const agent = new InProcessAgent();
    const { summary, state, events } = await runPlan([task('1'), task('2', { dependsOn: ['1'] }), task('3', { dependsOn: ['2'] })], agent);
    assert.equal(summary.outcome, 'done');
    assert.deepEqual(
      agent.prompts.map((p) => p.taskTitle),
      ['task 1', 'task 2', 'task 3'],
    );
    assert.deepEqual(
      Object.values(state.tasks).map((t) => t.state),
      ['done', 'done', 'done'],
    );
    assert.deepEqual(
      events.filter((e) => 'taskId' in e && e.taskId === '2').map((e) => e.type),
      ['task_started', 'task_output', 'task_provider_session', 'task_usage', 'task_done'],
    );
    assert.match(
      agent.prompts[2]!.request.prompt,
      /## Finished work this task builds on\n- 2 task 2 \(done\): did task 2/,
      "a dependency's summary is in the prompt",
    );
  });

  it("writes each task's transcript beside the journal: messages, tools, commands with exit codes, files, verification, the result; secrets redacted", async () => {
    const canary = 'sk-ant-canary-0123456789abcdef';
    const saved = process.env['ANTHROPIC_API_KEY'];
    process.env['ANTHROPIC_API_KEY'] = canary;
    const agent: TaskAgent = {
      async *run(): AsyncGenerator<DispatchEvent, DispatchResult> {
        yield { type: 'agent', provider: 'claude-code', event: { type: 'text', text: `I will write the file (key ${canary}).` } };
        yield { type: 'agent', provider: 'claude-code', event: { type: 'tool', name: 'Write', summary: 'out.txt' } };
        yield { type: 'agent', provider: 'claude-code', event: { type: 'file_change', path: 'out.txt', kind: 'add' } };
        yield { type: 'agent', provider: 'claude-code', event: { type: 'command', command: 'ls out.txt', exitCode: 0 } };
        yield { type: 'retrying', provider: 'claude-code', attempt: 1, delayMs: 2000, reason: 'HTTP 529' };
        return {
          outcome: 'done',
          provider: 'claude-code',
          message: 'Wrote out.txt.',
          usage: { inputTokens: 100, outputTokens: 10, cachedTokens: 0 },
          costUsd: 0.25,
          durationMs: 5,
          runs: 1,
        };
      },
    };
    try {
      const { state, writer, events } = await runPlan([task('1', { verify: ['node -e "process.exit(0)"'] })], agent);
      assert.deepEqual(state.tasks['1']!.transcripts, ['transcripts.jsonl']);
      assert.equal(events.filter((e) => e.type === 'task_output').length, 1, 'the journal names the transcript once');
      const { entries, skipped } = await readTranscript(writer.dir, '1');
      assert.equal(skipped, 0);
      assert.deepEqual(
        entries.map((e) => e.kind),
        ['attempt', 'text', 'tool', 'file', 'command', 'retry', 'verify', 'result'],
      );
      assert.deepEqual(entries.map(describeTranscriptEntry).slice(1), [
        'I will write the file (key [REDACTED]).',
        '⚙ Write: out.txt',
        '✎ add out.txt',
        '$ ls out.txt  → exit 0',
        'retry in 2 s: HTTP 529',
        '✓ verify: node -e "process.exit(0)"',
        '✓ done: Wrote out.txt.',
      ]);
      assert.equal(entries.at(-1)!.costUsd, 0.25);
      const raw = await readFile(path.join(writer.dir, 'transcripts.jsonl'), 'utf8');
      assert.ok(!raw.includes(canary), 'the key never reaches the transcript file');
      // A damaged line is skipped, not trusted.
      await writeFile(path.join(writer.dir, 'transcripts.jsonl'), `${raw}{"taskId":"1","at":1,"kind":"bogus"}\nnot json\n`);
      assert.equal((await readTranscript(writer.dir, '1')).skipped, 2);
      assert.deepEqual((await readTranscript(writer.dir, 'missing')).entries, []);
    } finally {
      if (saved === undefined) {
        delete process.env['ANTHROPIC_API_KEY'];
      } else {
        process.env['ANTHROPIC_API_KEY'] = saved;
      }
    }
  });

  it("a key in the model's answer, an error or the verify output reaches no file of the session folder", async () => {
    // Shapes the patterns know, and an environment secret known only by its value.
    const envValue = 'plain-env-value-not-shaped-like-a-key';
    const github = 'ghp_0123456789abcdefABCDEF0123456789abcd';
    const aws = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const slack = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv';
    const pem = [
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz',
      '-----END OPENSSH PRIVATE KEY-----',
    ].join('\n');
    const saved = process.env['ACA_TEST_SERVICE_TOKEN'];
    process.env['ACA_TEST_SERVICE_TOKEN'] = envValue;
    await writeFile(path.join(dirs.ws, 'leak.js'), `console.log(${JSON.stringify(`aws_secret_access_key = ${aws}`)}); process.exit(1);\n`);
    const agent = new InProcessAgent((title) => {
      if (title === 'task 1') {
        return { message: `Done. I used ${github} and ${envValue}.` };
      }
      if (title === 'task 3') {
        return { outcome: 'failed', message: `the API said: invalid token ${slack}\n${pem}` };
      }
      return {};
    });
    try {
      const { state, writer, events } = await runPlan([task('1'), task('2', { verify: ['node leak.js'] }), task('3')], agent, { maxAttempts: 1 });
      assert.deepEqual(
        Object.values(state.tasks).map((t) => t.state),
        ['done', 'failed', 'failed'],
      );
      assert.match(state.tasks['1']!.summary ?? '', /Done\. I used \[REDACTED\] and \[REDACTED\]\./);
      assert.match(state.tasks['2']!.error ?? '', /aws_secret_access_key = \[REDACTED\]/);
      // A snapshot holds the state as folded: take one, and a checkpoint-like second look through loadSession.
      const resumed = await SessionWriter.resume(writer.dir);
      await resumed.writer.snapshot();
      await resumed.writer.close();
      const secrets = [envValue, github, aws, slack, 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz'];
      const files = await listFiles(writer.dir);
      assert.ok(
        files.some((f) => f.endsWith('journal.jsonl')) && files.some((f) => f.includes('snapshots')) && files.some((f) => f.endsWith('transcripts.jsonl')),
      );
      for (const file of files) {
        const text = await readFile(file, 'utf8');
        for (const secret of secrets) {
          assert.ok(!text.includes(secret), `${path.relative(writer.dir, file)} holds ${secret.slice(0, 12)}…`);
        }
      }
      const seen = JSON.stringify(events);
      assert.ok(
        secrets.every((secret) => !seen.includes(secret)),
        'the journal events the engine hands on are the redacted ones',
      );
      assert.equal((await loadSession(writer.dir)).repairs.length, 0, 'redaction keeps every journal line valid');
    } finally {
      if (saved === undefined) {
        delete process.env['ACA_TEST_SERVICE_TOKEN'];
      } else {
        process.env['ACA_TEST_SERVICE_TOKEN'] = saved;
      }
    }
  });

  it('snapshots the files before each task and after it ends: its changes can be listed, read and undone', async () => {
    await writeFile(path.join(dirs.ws, 'kept.txt'), 'before\n');
    const agent = new InProcessAgent(async (title) => {
      if (title === 'task 1') {
        await writeFile(path.join(dirs.ws, 'new.txt'), 'made by task 1\n');
        await writeFile(path.join(dirs.ws, 'kept.txt'), 'changed by task 1\n');
      }
      return {};
    });
    const plan = planSchema.parse({ version: 1, name: 'p', tasks: [task('1'), task('2', { dependsOn: ['1'] })] });
    const writer = await SessionWriter.create(dirs.sessions, plan);
    const files = await FileCheckpoints.open(dirs.ws, { sessionDir: writer.dir, sessionId: writer.state.sessionId });
    const engine = new Engine({
      writer,
      agent,
      workspace: dirs.ws,
      resources: false,
      fileSnapshots: { take: async (label) => (await files.create(label, label)).commit },
    });
    assert.equal((await engine.run()).outcome, 'done');
    const run = writer.state.tasks['1']!;
    await writer.close();
    assert.match(run.filesBefore ?? '', /^[0-9a-f]{40}$/);
    assert.deepEqual(await files.changesBetween(run.filesBefore!, run.filesAfter!), [
      { path: 'kept.txt', kind: 'modify' },
      { path: 'new.txt', kind: 'create' },
    ]);
    assert.equal(await files.fileAt(run.filesBefore!, 'kept.txt'), 'before\n');
    assert.equal(await files.fileAt(run.filesBefore!, 'new.txt'), undefined);
    // Restore the files to before task 1.
    await files.restore(run.filesBefore!);
    assert.equal(await readFile(path.join(dirs.ws, 'kept.txt'), 'utf8'), 'before\n');
    assert.equal(
      await stat(path.join(dirs.ws, 'new.txt')).then(
        () => true,
        () => false,
      ),
      false,
    );
  });

  it('a failed verification is retried with its output in the prompt, then the task fails and its dependents are blocked', async () => {
    const agent = new InProcessAgent();
    const { summary, state } = await runPlan(
      [task('1', { verify: ['node -e "console.error(\'assertion: 2 + 2 is not 5\'); process.exit(3)"'] }), task('2', { dependsOn: ['1'] }), task('3')],
      agent,
      { maxAttempts: 2 },
    );
    assert.equal(summary.outcome, 'failed');
    assert.equal(state.tasks['1']!.state, 'failed');
    assert.equal(state.tasks['1']!.attempts, 2);
    assert.match(state.tasks['1']!.error ?? '', /Verification failed: `node -e .*` exited 3:\nassertion: 2 \+ 2 is not 5/);
    const retry = agent.prompts.filter((p) => p.taskTitle === 'task 1')[1]!.request.prompt;
    assert.match(retry, /## The previous attempt failed\nVerification failed: .*exited 3:\nassertion: 2 \+ 2 is not 5/);
    assert.equal(state.tasks['2']!.state, 'blocked');
    assert.equal(state.tasks['2']!.error, 'depends on 1, which is failed');
    assert.equal(state.tasks['3']!.state, 'done', 'independent work goes on');
    assert.deepEqual(summary.counts.done, 1);
  });

  it('verification passes when the command succeeds; shell operators are refused with a reason', async () => {
    const ok = await runPlan([task('1', { verify: ['node -e "process.exit(0)"'] })], new InProcessAgent());
    assert.equal(ok.state.tasks['1']!.state, 'done');
    const refused = await runPlan([task('1', { verify: ['npm test && rm -rf /'] })], new InProcessAgent(), { maxAttempts: 1 });
    assert.match(refused.state.tasks['1']!.error ?? '', /"&&" needs a shell, and ACA runs commands without one/);
  });

  it('"stop" policy starts nothing after a failure; "continue" runs the dependents anyway', async () => {
    const failing = new InProcessAgent((title) => (title === 'task 1' ? { outcome: 'failed', message: 'no' } : {}));
    const stopped = await runPlan([task('1'), task('2'), task('3')], failing, { failurePolicy: 'stop', maxAttempts: 1 });
    assert.equal(stopped.summary.outcome, 'paused');
    assert.match(stopped.summary.reason ?? '', /task 1 failed and the failure policy is "stop"/);
    assert.deepEqual([stopped.state.tasks['2']!.state, stopped.state.tasks['3']!.state], ['pending', 'pending']);
    const failing2 = new InProcessAgent((title) => (title === 'task 1' ? { outcome: 'failed', message: 'no' } : {}));
    const going = await runPlan([task('1'), task('2', { dependsOn: ['1'] })], failing2, { failurePolicy: 'continue', maxAttempts: 1 });
    assert.equal(going.state.tasks['2']!.state, 'done');
    assert.equal(going.summary.outcome, 'failed', 'anything failed: the run is not a success');
  });

  it('a permission failure is not retried', async () => {
    const agent = new InProcessAgent(() => ({ outcome: 'failed', message: 'not allowed', failure: { kind: 'permission' } }));
    const { state } = await runPlan([task('1')], agent, { maxAttempts: 3 });
    assert.equal(state.tasks['1']!.attempts, 1);
  });

  it('groups finish with their children; optional tasks are skipped unless asked for', async () => {
    const tasks = [task('1'), task('1.1', { parent: '1' }), task('1.2', { parent: '1', optional: true }), task('2', { dependsOn: ['1'] })];
    const agent = new InProcessAgent();
    const { state } = await runPlan(tasks, agent);
    assert.deepEqual(
      agent.prompts.map((p) => p.taskTitle),
      ['task 1.1', 'task 2'],
      'the group itself is never sent',
    );
    assert.equal(state.tasks['1.2']!.state, 'skipped');
    assert.equal(state.tasks['1']!.state, 'done');
    const all = await runPlan(tasks, new InProcessAgent(), { includeOptional: true });
    assert.equal(all.state.tasks['1.2']!.state, 'done');
  });

  it('runs up to the concurrency at once, never more', async () => {
    const agent = new InProcessAgent(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {};
    });
    const named = (id: string, file: string) => task(id, { title: `write ${file}` });
    await runPlan(
      [named('1', 'a.txt'), named('2', 'b.txt'), named('3', 'c.txt'), named('4', 'd.txt'), named('5', 'e.txt')],
      agent,
      { resources: false },
      { mode: 'parallel', maxConcurrent: 3 },
    );
    assert.equal(agent.maxRunning, 3);
    const sequential = new InProcessAgent();
    await runPlan([task('1'), task('2'), task('3')], sequential);
    assert.equal(sequential.maxRunning, 1);
  });

  it('in parallel, tasks that name the same file, or no file, do not run together, and the user is told why', async () => {
    const agent = new InProcessAgent(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {};
    });
    const warnings: string[] = [];
    const plan = planSchema.parse({
      version: 1,
      name: 'p',
      strategy: { mode: 'parallel', maxConcurrent: 4 },
      tasks: [task('1', { title: 'edit `src/app.ts`' }), task('2', { title: 'test src/app.ts' }), task('3', { title: 'refactor things' })],
    });
    const writer = await SessionWriter.create(dirs.sessions, plan);
    const engine = new Engine({ writer, agent, workspace: dirs.ws, resources: false });
    engine.onEvent((e) => e.type === 'warning' && warnings.push(e.message));
    await engine.run();
    await writer.close();
    assert.equal(agent.maxRunning, 1);
    assert.match(warnings.join('\n'), /tasks whose files ACA cannot predict run one at a time/);
  });

  it('tasks the file marks parallel-safe ([P]) run together without naming files; others still wait', async () => {
    const agent = new InProcessAgent(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {};
    });
    const parallel = (id: string, extra: Partial<PlanInput['tasks'][number]> = {}) => task(id, { title: `model ${id}`, parallel: true, ...extra });
    await runPlan([parallel('1'), parallel('2'), parallel('3')], agent, { resources: false }, { mode: 'parallel', maxConcurrent: 4 });
    assert.equal(agent.maxRunning, 3, 'three [P] tasks at once');
    const mixed = new InProcessAgent(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {};
    });
    await runPlan(
      [parallel('1'), task('2', { title: 'wire everything' }), parallel('3', { files: ['src/a.ts'] }), parallel('4', { files: ['src/a.ts'] })],
      mixed,
      { resources: false },
      { mode: 'parallel', maxConcurrent: 4 },
    );
    assert.equal(mixed.maxRunning, 2, 'the unmarked task runs alone, and two [P] tasks on one file never meet');
  });

  it("the machine's free memory and load cap the agents at once", async () => {
    const agent = new InProcessAgent(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {};
    });
    const named = (id: string) => task(id, { title: `write f${id}.txt` });
    await runPlan(
      [named('1'), named('2'), named('3'), named('4')],
      agent,
      { resources: { probe: () => ({ freeMemMb: 1100 - 500 * agent.running, load1: 0.5, cores: 2 }), memoryPerAgentMb: 500 } },
      { mode: 'parallel', maxConcurrent: 4 },
    );
    assert.equal(agent.maxRunning, 2, '1100 MB free, 500 MB an agent: two');
    const loaded = new InProcessAgent(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {};
    });
    await runPlan(
      [named('1'), named('2'), named('3')],
      loaded,
      { resources: { probe: () => ({ freeMemMb: 64_000, load1: 8, cores: 2 }) } },
      { mode: 'parallel', maxConcurrent: 4 },
    );
    assert.equal(loaded.maxRunning, 1, 'a load of 4 per core: one at a time');
  });

  it('skip and retry: a skipped task blocks its dependents; retry runs failed and blocked tasks again', async () => {
    let fail = true;
    const agent = new InProcessAgent((title) => (title === 'task 1' && fail ? { outcome: 'failed', message: 'no' } : {}));
    const plan = planSchema.parse({ version: 1, name: 'p', tasks: [task('1'), task('2', { dependsOn: ['1'] }), task('3')] });
    const writer = await SessionWriter.create(dirs.sessions, plan);
    const engine = new Engine({ writer, agent, workspace: dirs.ws, maxAttempts: 1 });
    await engine.skipTask('3');
    const first = await engine.run();
    assert.equal(first.outcome, 'failed');
    assert.deepEqual(
      ['1', '2', '3'].map((id) => writer.state.tasks[id]!.state),
      ['failed', 'blocked', 'skipped'],
    );
    fail = false;
    assert.deepEqual(await engine.retryTasks(), ['1', '2']);
    const second = await engine.run();
    await writer.close();
    assert.equal(second.outcome, 'done', 'skipped on purpose is not a failure (exit 0: nothing failed, blocked or was cancelled)');
    assert.deepEqual(
      ['1', '2', '3'].map((id) => writer.state.tasks[id]!.state),
      ['done', 'done', 'skipped'],
    );
  });

  it('subtasks added while the plan runs are checked, journaled and run', async () => {
    const holder: { engine?: Engine } = {};
    const agent = new InProcessAgent(async (title) => {
      const engine = holder.engine!;
      if (title === 'task 1') {
        await engine.addTasks([planSchema.parse({ version: 1, name: 'x', tasks: [task('1.a', { dependsOn: ['1'] })] }).tasks[0]!]);
        await assert.rejects(
          engine.addTasks([planSchema.parse({ version: 1, name: 'x', tasks: [task('9', { dependsOn: ['nope'] })] }).tasks[0]!]),
          /"9" depends on "nope", which is not a task of this plan/,
        );
      }
      return {};
    });
    const writer = await SessionWriter.create(dirs.sessions, planSchema.parse({ version: 1, name: 'p', tasks: [task('1')] }));
    holder.engine = new Engine({ writer, agent, workspace: dirs.ws });
    const summary = await holder.engine.run();
    await writer.close();
    assert.equal(summary.outcome, 'done');
    assert.deepEqual(
      agent.prompts.map((p) => p.taskTitle),
      ['task 1', 'task 1.a'],
    );
    assert.equal((await loadSession(writer.dir)).state.plan.tasks.length, 2);
  });

  it('a task over its own time budget is stopped and fails, without a retry', async () => {
    const slow = new InProcessAgent(async (_title, request) => {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 5000);
        request.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)));
      });
      return request.signal?.aborted ? { outcome: 'cancelled', message: 'cancelled' } : {};
    });
    const { state, summary } = await runPlan([task('1'), task('2')], slow, { budgets: { taskWallMs: 40 } });
    assert.equal(summary.outcome, 'failed');
    assert.deepEqual([state.tasks['1']!.state, state.tasks['1']!.attempts], ['failed', 1]);
    assert.match(state.tasks['1']!.error ?? '', /^over the task budget: 0s of wall time/);
    assert.equal(state.tasks['2']!.state, 'failed', 'each task has its own budget');
  });

  it('predicts the files a task touches from its text', () => {
    assert.deepEqual(
      [...predictedFiles({ title: 'Create `hello.py` and src/app.ts', description: 'see docs/api.md, e.g. v1.2.3', references: [] })!],
      ['hello.py', 'src/app.ts', 'docs/api.md'],
    );
    assert.equal(predictedFiles({ title: 'Refactor the parser', description: '', references: [] }), undefined);
  });

  it("a budget stops the agents and pauses; resume continues the interrupted task's conversation", async () => {
    const slow = new InProcessAgent(async (_title, request) => {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 5000);
        request.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
      return request.signal?.aborted ? { outcome: 'cancelled', message: 'cancelled' } : {};
    });
    const { summary, state, writer } = await runPlan([task('1'), task('2')], slow, { budgets: { wallMs: 50 } });
    assert.equal(summary.outcome, 'paused');
    assert.match(summary.reason ?? '', /time budget/);
    assert.equal(state.tasks['1']!.state, 'interrupted');
    assert.equal(state.tasks['1']!.providerSessionId, 's-task 1-1');
    // Resume: a new engine on the same session, with a higher budget.
    const { writer: resumed } = await SessionWriter.resume(writer.dir);
    const agent = new InProcessAgent();
    const summary2 = await new Engine({ writer: resumed, agent, workspace: dirs.ws, retryBackoff: { baseMs: 0, maxMs: 0 } }).run();
    await resumed.close();
    assert.equal(summary2.outcome, 'done');
    assert.deepEqual(agent.prompts[0]!.request.resume, { provider: 'claude-code', sessionId: 's-task 1-1' });
    assert.match(agent.prompts[0]!.request.prompt, /Continue it from where you were/);
    const reloaded = await loadSession(writer.dir);
    assert.deepEqual(
      Object.values(reloaded.state.tasks).map((t) => t.state),
      ['done', 'done'],
    );
  });

  it("writes checkboxes back, and never clobbers the user's edits", async () => {
    const file = path.join(dirs.ws, 'tasks.md');
    await writeFile(file, '# Plan\n\n- [ ] Create hello.py\n- [ ] Create config.json\n- [ ] Write run.sh\n');
    const { plan } = await planFromTasksFile(file, { workspaceRoot: dirs.ws });
    const writer = await SessionWriter.create(dirs.sessions, plan);
    let edited = false;
    const agent = new InProcessAgent(async (title) => {
      if (title.includes('config.json') && !edited) {
        edited = true;
        // The user inserts lines above while the task runs: the checkbox moves down two lines.
        const text = await readFile(file, 'utf8');
        assert.match(text, /- \[-\] Create config\.json/, 'a running task shows [-]');
        await writeFile(file, text.replace('# Plan\n', '# Plan\n\nA note the user added.\n'));
      }
      return {};
    });
    await new Engine({ writer, agent, workspace: dirs.ws, writeBack: true }).run();
    await writer.close();
    assert.equal(await readFile(file, 'utf8'), '# Plan\n\nA note the user added.\n\n- [x] Create hello.py\n- [x] Create config.json\n- [x] Write run.sh\n');
  });

  it('the scheduler prefers priority, then the longest chain below, deterministically', () => {
    const tasks = planSchema.parse({
      version: 1,
      name: 'p',
      tasks: [
        task('a'),
        task('b', { complexity: 'epic' }),
        task('c'),
        task('d', { dependsOn: ['c'] }),
        task('e', { dependsOn: ['d'] }),
        task('f', { priority: 'critical', complexity: 'trivial' }),
      ],
    }).tasks;
    const graph = schedulingGraph(tasks);
    const ready = ['a', 'b', 'c', 'f'].map((id) => ({ task: tasks.find((t) => t.id === id)!, attempts: 0, readySince: 0 }));
    assert.deepEqual(
      rankReady(ready, graph, 0).map((r) => r.task.id),
      ['f', 'b', 'c', 'a'],
    );
    // A retry lowers a task a little, never below a lower priority band; waiting raises it.
    const retried = ready.map((r) => (r.task.id === 'b' ? { ...r, attempts: 2 } : r));
    assert.deepEqual(
      rankReady(retried, graph, 0).map((r) => r.task.id),
      ['f', 'c', 'b', 'a'],
    );
    const waited = retried.map((r) => (r.task.id === 'a' ? { ...r, readySince: -60 * 60_000 } : r));
    assert.deepEqual(
      rankReady(waited, graph, 0).map((r) => r.task.id),
      ['f', 'a', 'c', 'b'],
      'an hour of waiting lifts a task over larger ones',
    );
  });
});

/** Races a review found (each failed before the fix that follows it in the engine's history). */
describe('engine: bookkeeping under concurrency', () => {
  const dirs = useTempDirs('sessions', 'ws');
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const named = (id: string, fields: Partial<PlanInput['tasks'][number]> = {}): PlanInput['tasks'][number] => ({
    id,
    title: `t${id} edits ${id}.py`,
    ...fields,
  });

  async function setup(tasks: PlanInput['tasks'], agent: TaskAgent, options: Partial<EngineOptions> = {}) {
    const plan = planSchema.parse({ version: 1, name: 'p', tasks, strategy: { mode: 'parallel', maxConcurrent: 3 } });
    const writer = await SessionWriter.create(dirs.sessions, plan);
    const engine = new Engine({ writer, agent, workspace: dirs.ws, resources: false, retryBackoff: { baseMs: 60, maxMs: 60 }, ...options });
    return { writer, engine };
  }
  const states = (writer: SessionWriter): Record<string, string> => Object.fromEntries(Object.entries(writer.state.tasks).map(([id, run]) => [id, run.state]));

  it('a task waiting to retry is not finished: its group and dependents wait for it', async () => {
    const agent = new InProcessAgent(async (title, _request, attempt) => {
      if (title.startsWith('tg1')) {
        await sleep(5);
        return attempt === 1 ? { outcome: 'failed', message: 'boom' } : {};
      }
      await sleep(25);
      return {};
    });
    const { writer, engine } = await setup([named('G'), named('g1', { parent: 'G' }), named('g2', { parent: 'G' }), named('D', { dependsOn: ['G'] })], agent);
    assert.equal((await engine.run()).outcome, 'done');
    await writer.close();
    assert.deepEqual(states(writer), { G: 'done', g1: 'done', g2: 'done', D: 'done' });
  });

  it('a retry asked while a task ends neither double-counts it nor ends the run before the retried task ran', async () => {
    const agent = new InProcessAgent(async (title) => {
      await sleep(title.startsWith('tC') ? 150 : 5);
      return {};
    });
    const { writer, engine } = await setup([named('A'), named('C'), named('B', { dependsOn: ['A', 'C'] })], agent);
    engine.onEvent((e) => e.type === 'journal' && e.event.type === 'task_done' && e.event.taskId === 'A' && void engine.retryTasks(['nothing']));
    await engine.run();
    await writer.close();
    const order = agent.prompts.map((p) => p.taskTitle.slice(0, 2));
    assert.ok(order.indexOf('tB') > order.indexOf('tC'), `B started before C was done: ${order.join(', ')}`);

    let failX = true;
    const second = new InProcessAgent(async (title) => {
      if (title.startsWith('tX') && failX) {
        failX = false;
        return { outcome: 'failed', message: 'no' };
      }
      await sleep(40);
      return {};
    });
    const run2 = await setup([named('X'), named('Y')], second, { maxAttempts: 1 });
    run2.engine.onEvent((e) => e.type === 'journal' && e.event.type === 'task_done' && e.event.taskId === 'Y' && void run2.engine.retryTasks(['X']));
    assert.equal((await run2.engine.run()).outcome, 'done', 'the run waited for the retried task');
    await run2.writer.close();
  });

  it('a skipped task never starts, even when the skip is still being journaled', async () => {
    const agent = new InProcessAgent(async () => {
      await sleep(20);
      return {};
    });
    const { writer, engine } = await setup([named('A'), named('Y'), named('Z', { dependsOn: ['A', 'Y'] })], agent, { concurrency: 1 });
    let skipped = '';
    engine.onEvent((e) => {
      if (!skipped && e.type === 'journal' && e.event.type === 'task_done') {
        skipped = e.event.taskId === 'A' ? 'Y' : 'A';
        void writer.snapshot();
        void engine.skipTask(skipped);
      }
    });
    await engine.run();
    await writer.close();
    assert.ok(!agent.prompts.some((p) => p.taskTitle.startsWith(`t${skipped} `)), 'the skipped task did not run');
    assert.equal(states(writer)['Z'], 'blocked');
  });

  it('a pause or Ctrl-C between attempts keeps the task retryable, with its failure output for the resume', async () => {
    const agent = new InProcessAgent(async (_title, _request, attempt) => {
      await sleep(10);
      return attempt === 1 ? { outcome: 'failed', message: 'tests failed: expected 5 got 4' } : {};
    });
    // The backoff is jittered between 0 and its ceiling; a clock whose sleeps last 200 ms puts the Ctrl-C
    // (20 ms after the failure) surely between the attempts.
    const clock: Clock = { now: () => Date.now(), sleep: (_ms, signal) => systemClock.sleep(200, signal) };
    const { writer, engine } = await setup([named('A'), named('B', { dependsOn: ['A'] })], agent, { retryBackoff: { baseMs: 200, maxMs: 200 }, clock });
    engine.onEvent((e) => e.type === 'journal' && e.event.type === 'task_failed' && setTimeout(() => engine.stop('interrupted by Ctrl-C'), 20));
    assert.equal((await engine.run()).outcome, 'paused');
    assert.deepEqual(states(writer), { A: 'pending', B: 'pending' }, 'not failed, and B not blocked');
    const dir = writer.dir;
    await writer.close();
    const { writer: resumed } = await SessionWriter.resume(dir);
    assert.equal((await new Engine({ writer: resumed, agent, workspace: dirs.ws, resources: false }).run()).outcome, 'done');
    await resumed.close();
    assert.match(
      agent.prompts.filter((p) => p.taskTitle.startsWith('tA'))[1]!.request.prompt,
      /## The previous attempt failed\ntests failed: expected 5 got 4/,
    );
  });
});
