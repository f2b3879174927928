import assert from 'node:assert/strict';
import packageJson from '../../package.json';
import { PROVIDERS, providerProblem } from '../../src/core/app/providers';
import { RunSettingsError, validateRunSettings } from '../../src/core/app/runSettings';
import { PROVIDER_NAMES } from '../../src/core/model/provider';

describe('app: the provider registry', () => {
  it('is the one list: package.json’s aca.provider enum and its descriptions follow it', () => {
    const provider = packageJson.contributes.configuration.properties['aca.provider'];
    assert.deepEqual(
      provider?.enum,
      PROVIDERS.map((p) => p.name),
    );
    assert.deepEqual(
      provider?.enumDescriptions,
      PROVIDERS.map((p) => p.description),
    );
    assert.deepEqual(
      PROVIDERS.map((p) => p.name),
      [...PROVIDER_NAMES],
    );
  });

  it('says why a face cannot run a provider', () => {
    assert.equal(providerProblem('claude-code'), undefined);
    assert.match(providerProblem('vscode-lm') ?? '', /^--provider vscode-lm: the language models of VS Code .* only reachable from the ACA extension/);
    assert.equal(providerProblem('vscode-lm', 'extension'), undefined);
    assert.equal(providerProblem('gpt'), '--provider gpt: use one of claude-code, openai-codex, anthropic, openai, local-model');
  });
});

describe('app: run settings', () => {
  it('validates once and fills the defaults', () => {
    assert.deepEqual(validateRunSettings({}), {
      provider: 'claude-code',
      includeOptional: false,
      writeBack: false,
      verify: [],
      budgets: {},
      fileSnapshots: true,
      retryFailed: false,
    });
    const settings = validateRunSettings({
      provider: 'openai',
      model: 'gpt-x',
      concurrency: '2',
      maxAttempts: 4,
      failurePolicy: 'stop',
      verify: ['npm test', ' '],
      maxCost: '1.5',
      maxTokens: '1000',
      maxMinutes: 0.5,
      taskMaxCost: 0.25,
      taskMaxTokens: 10,
      taskMaxMinutes: '2',
      writeBack: true,
      retryFailed: true,
      fileSnapshots: false,
    });
    assert.deepEqual(settings, {
      provider: 'openai',
      model: 'gpt-x',
      concurrency: 2,
      maxAttempts: 4,
      failurePolicy: 'stop',
      includeOptional: false,
      writeBack: true,
      verify: ['npm test'],
      budgets: { costUsd: 1.5, tokens: 1000, wallMs: 30_000, taskCostUsd: 0.25, taskTokens: 10, taskWallMs: 120_000 },
      fileSnapshots: false,
      retryFailed: true,
    });
  });

  it('names the flag (or the setting) of a bad value', () => {
    const error = (input: Parameters<typeof validateRunSettings>[0], options?: Parameters<typeof validateRunSettings>[1]): RunSettingsError => {
      try {
        validateRunSettings(input, options);
      } catch (caught) {
        assert.ok(RunSettingsError.is(caught));
        return caught;
      }
      assert.fail('expected a RunSettingsError');
    };
    assert.equal(error({ concurrency: '0' }).message, '--concurrency 0: expected a positive whole number');
    assert.equal(error({ maxAttempts: '1.5' }).message, '--max-attempts 1.5: expected a positive whole number');
    assert.equal(error({ maxCost: 'lots' }).message, '--max-cost lots: expected a positive number');
    assert.equal(error({ failurePolicy: 'panic' }).message, '--failure-policy panic: use stop, skip-dependents, continue');
    assert.equal(error({ provider: 'vscode-lm' }).field, 'provider');
    assert.equal(validateRunSettings({ provider: 'vscode-lm' }, { face: 'extension' }).provider, 'vscode-lm');
    const labelled = error({ maxTokens: -1 }, { face: 'extension', labels: { maxTokens: 'aca.run.budget.maxTokens' } });
    assert.deepEqual(
      [labelled.field, labelled.label, labelled.message],
      ['maxTokens', 'aca.run.budget.maxTokens', 'aca.run.budget.maxTokens -1: expected a positive whole number'],
    );
  });
});
