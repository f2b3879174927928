import assert from 'node:assert/strict';
import { parseConfig } from '../../src/core/config/config';
import { PlanError } from '../../src/core/model/problems';
import { createDispatcher, createProvider, providerChain } from '../../src/core/providers/factory';

describe('provider configuration', () => {
  const toml = [
    'provider = "openai-codex"',
    'fallback = ["claude-code", "openai-codex"]',
    '[claude_code]',
    'permission_mode = "default"',
    'allowed_tools = ["Bash(npm test:*)"]',
    'max_turns = 12',
    '[codex]',
    'profile = "work"',
    'config = ["model_reasoning_effort=high"]',
    '[limits.claude-code]',
    'requests_per_minute = 30',
    'max_concurrent = 2',
  ].join('\n');

  it('reads providers, the fallback chain and limits from aca.toml', () => {
    const config = parseConfig(toml, '/w/aca.toml');
    assert.deepEqual(providerChain(config.provider!, config.fallback), ['openai-codex', 'claude-code'], 'each provider once, the main one first');
    assert.equal(createProvider('claude-code', config).name, 'claude-code');
    const dispatcher = createDispatcher(config);
    assert.equal(dispatcher.headroom('claude-code'), 2, 'max_concurrent reaches the limiter');
    assert.equal(dispatcher.headroom('openai-codex'), Number.POSITIVE_INFINITY);
  });

  it('names the file and the field of a bad provider setting', () => {
    for (const [text, field] of [
      ['provider = "claude"', 'provider'],
      ['fallback = ["gpt"]', 'fallback[0]'],
      ['[claude_code]\npermission_mode = "yolo"', 'claude_code.permission_mode'],
      ['[codex]\nconfig = ["no equals sign"]', 'codex.config[0]'],
      ['[limits.ollama]\nmax_concurrent = 1', 'limits'],
      // A model name goes into the CLIs' argv: it must not read as an option.
      ['[claude_code]\nmodel = "--dangerously-skip-permissions"', 'claude_code.model'],
      ['model = "-x"', 'model'],
    ] as const) {
      assert.throws(
        () => parseConfig(text, '/w/aca.toml'),
        (error: unknown) => error instanceof PlanError && error.problems.some((p) => p.file === '/w/aca.toml' && p.field === field),
        text,
      );
    }
  });
});
