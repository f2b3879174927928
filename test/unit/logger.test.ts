import assert from 'node:assert/strict';
import { MemoryLogSink, createLogger, redactSecrets } from '../../src/core/common/logger';

describe('logger', () => {
  it('prefixes the component and keeps the level', () => {
    const sink = new MemoryLogSink();
    const logger = createLogger(sink, 'engine');
    logger.info('started');
    logger.warn('slow');
    assert.deepEqual(sink.lines, [
      { level: 'info', message: '[engine] started' },
      { level: 'warn', message: '[engine] slow' },
    ]);
  });

  it('includes the error with its stack', () => {
    const sink = new MemoryLogSink();
    createLogger(sink).error('failed to spawn', new Error('ENOENT'));
    assert.match(sink.lines[0]!.message, /^failed to spawn: Error: ENOENT\n\s+at /);
  });

  const cases: Array<[string, string, string]> = [
    ['an Anthropic key', 'key sk-ant-api03-AbCdEf012345_xyz used', 'key [REDACTED] used'],
    ['an OpenAI project key', 'OPENAI sk-proj-0123456789abcdef', 'OPENAI [REDACTED]'],
    ['a bearer header', 'authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'authorization: Bearer [REDACTED]'],
    ['an x-api-key header', '"x-api-key": "abcd1234efgh"', '"x-api-key": "[REDACTED]"'],
    ['an api_key assignment', 'ANTHROPIC_API_KEY=hunter2hunter2', 'ANTHROPIC_API_KEY=[REDACTED]'],
    ['a GitHub token', 'token ghp_0123456789abcdefABCDEF012345', 'token [REDACTED]'],
  ];
  for (const [what, input, expected] of cases) {
    it(`redacts ${what}`, () => {
      assert.equal(redactSecrets(input), expected);
    });
  }

  it('redacts secrets it is told about, and leaves ordinary text alone', () => {
    assert.equal(redactSecrets('local key is my-ollama-secret-value', ['my-ollama-secret-value']), 'local key is [REDACTED]');
    assert.equal(redactSecrets('task sk-1 is done; skip-list ok', ['abc']), 'task sk-1 is done; skip-list ok');
  });

  it('redacts through the logger, so a secret never reaches a sink', () => {
    const sink = new MemoryLogSink();
    createLogger(sink, 'provider', () => ['custom-secret-123456']).info('spawn claude with ANTHROPIC_API_KEY=sk-ant-abcdef123456 and custom-secret-123456');
    assert.equal(sink.lines[0]!.message, '[provider] spawn claude with ANTHROPIC_API_KEY=[REDACTED] and [REDACTED]');
  });
});
