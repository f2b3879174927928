import assert from 'node:assert/strict';
import { planSchema, type Plan } from '../../src/core/model/plan';
import { AnalysisError, analyzePlan, extractJson, type AnalysisCache, type CompletionPort, type CompletionRequest } from '../../src/core/plan/analyze';

const plan: Plan = planSchema.parse({
  version: 1,
  name: 'app',
  tasks: [
    { id: '1', title: 'Design the schema' },
    { id: '2', title: 'Write migrations' },
    { id: '3', title: 'Build the API' },
  ],
});

/** A port that answers from a script and records prompts. */
function scriptedPort(...answers: Array<{ text: string; structured?: unknown }>): CompletionPort & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    id: 'fake:model',
    prompts,
    complete: async (request: CompletionRequest) => {
      prompts.push(request.prompt);
      const next = answers.shift();
      assert.ok(next, 'the port was asked more often than scripted');
      return next;
    },
  };
}

class MemoryCache implements AnalysisCache {
  readonly entries = new Map<string, unknown>();
  async get(key: string): Promise<unknown> {
    return this.entries.get(key);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.entries.set(key, value);
  }
}

describe('plan analysis', () => {
  it('applies a structured answer: dependencies, priority, complexity, hierarchy and strategy', async () => {
    const port = scriptedPort({
      text: '',
      structured: {
        strategy: { mode: 'intelligent', maxConcurrent: 2 },
        tasks: [
          { id: '2', dependsOn: ['1'], complexity: 'simple' },
          { id: '3', parent: null, dependsOn: ['2'], priority: 'high', complexity: 'complex' },
        ],
      },
    });
    const result = await analyzePlan(plan, { port, hints: ['the API is REST'] });
    assert.equal(result.attempts, 1);
    assert.deepEqual(result.plan.strategy, { mode: 'intelligent', maxConcurrent: 2 });
    assert.deepEqual(
      result.plan.tasks.map((t) => [t.id, t.dependsOn, t.priority, t.complexity]),
      [
        ['1', [], 'normal', null],
        ['2', ['1'], 'normal', 'simple'],
        ['3', ['2'], 'high', 'complex'],
      ],
    );
    assert.match(port.prompts[0]!, /- the API is REST/);
    assert.match(port.prompts[0]!, /"title": "Build the API"/);
  });

  it('reorders so that a parent chosen by the model comes before its children', async () => {
    const port = scriptedPort({
      text: JSON.stringify({
        tasks: [
          { id: '1', parent: '3' },
          { id: '2', parent: '3' },
        ],
      }),
    });
    const result = await analyzePlan(plan, { port });
    assert.deepEqual(
      result.plan.tasks.map((t) => `${t.id}^${t.parent}`),
      ['3^null', '1^3', '2^3'],
    );
  });

  it('keeps what the answer leaves out (no field is reset to a default)', async () => {
    const nested = planSchema.parse({
      version: 1,
      name: 'n',
      strategy: { mode: 'parallel', maxConcurrent: 3 },
      tasks: [
        { id: '1', title: 'Group', priority: 'high' },
        { id: '1.1', title: 'Child', parent: '1', complexity: 'simple' },
      ],
    });
    const result = await analyzePlan(nested, { port: scriptedPort({ text: '{"strategy": {}, "tasks": [{"id": "1.1", "dependsOn": []}, {"id": "1"}]}' }) });
    assert.deepEqual(result.plan, nested);
  });

  it('extracts JSON from fences and prose', () => {
    assert.deepEqual(extractJson('Here you go:\n```json\n{"tasks": []}\n```\nThanks', 'a'), { tasks: [] });
    assert.deepEqual(extractJson('Sure. {"tasks": [{"id": "1"}]} Hope that helps', 'a'), { tasks: [{ id: '1' }] });
    assert.throws(() => extractJson('no json at all', 'the answer'), /the answer: no JSON object found in the answer: "no json at all"/);
  });

  it('retries once with the validation error, then succeeds', async () => {
    const port = scriptedPort({ text: '{"tasks": [{"id": "9", "priority": "high"}]}' }, { text: '{"tasks": [{"id": "1", "priority": "high"}]}' });
    const result = await analyzePlan(plan, { port });
    assert.equal(result.attempts, 2);
    assert.equal(result.plan.tasks[0]!.priority, 'high');
    assert.match(port.prompts[1]!, /Your previous answer was rejected:\n- tasks\[0\]\.id: names task "9", which is not in the plan/);
  });

  it('reports clearly after a second invalid answer, and leaves the plan alone', async () => {
    const port = scriptedPort({ text: 'not json' }, { text: '{"tasks": [{"id": "1", "dependsOn": ["2"]}, {"id": "2", "dependsOn": ["1"]}]}' });
    await assert.rejects(analyzePlan(plan, { port, answerName: 'the answer of fake' }), (error: unknown) => {
      assert.ok(AnalysisError.is(error));
      assert.equal(error.attempts, 2);
      assert.match(error.message, /invalid twice; the plan is unchanged/);
      assert.match(error.message, /the answer of fake: tasks\[0\]\.dependsOn: dependency cycle: "1" → "2" → "1"/);
      return true;
    });
    assert.equal(port.prompts.length, 2);
    assert.deepEqual(plan.tasks[0]!.dependsOn, []);
  });

  it('caches answers by content hash: the same plan and hints do not ask again', async () => {
    const cache = new MemoryCache();
    const first = await analyzePlan(plan, { port: scriptedPort({ text: '{"tasks": [{"id": "3", "complexity": "epic"}]}' }), cache });
    const second = await analyzePlan(plan, { port: scriptedPort(), cache });
    assert.equal(second.cached, true);
    assert.deepEqual(second.plan, first.plan);
    const otherHints = scriptedPort({ text: '{"tasks": []}' });
    await analyzePlan(plan, { port: otherHints, cache, hints: ['different'] });
    assert.equal(otherHints.prompts.length, 1, 'different hints ask the model again');
  });
});
