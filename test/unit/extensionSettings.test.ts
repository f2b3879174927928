import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateRunSettings } from '../../src/core/app/runSettings';
import { describeBudgets, RUN_SETTING_LABELS, runSettingsInput, settingsFrom } from '../../src/extension/settingsValues';
import { REPO_ROOT } from '../support/processes';

/** What VS Code hands over: the user's values over package.json's defaults. */
function source(values: Record<string, unknown>): { get(key: string): unknown } {
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown }> } | Array<{ properties: Record<string, { default?: unknown }> }> };
  };
  const sections = [manifest.contributes.configuration].flat();
  const defaults = Object.fromEntries(sections.flatMap((s) => Object.entries(s.properties)).map(([key, p]) => [key.replace(/^aca\./, ''), p.default]));
  return { get: (key) => (key in values ? values[key] : defaults[key]) };
}

describe('VS Code settings (settingsValues)', () => {
  it("reads package.json's defaults as the settings of a fresh install", () => {
    const settings = settingsFrom(source({}));
    assert.equal(settings.provider, 'claude-code');
    assert.deepEqual(settings.fallback, []);
    assert.equal(settings.model, undefined);
    assert.equal(settings.claudeCodePath, 'claude');
    assert.equal(settings.codexPath, 'codex');
    assert.equal(settings.claudeCodePermissionMode, undefined);
    assert.deepEqual(settings.baseUrls, {});
    assert.equal(settings.sessionsLocation, 'workspaceStorage');
    assert.equal(settings.openPanelAfterParse, true);
    assert.equal(settings.analysisTimeoutMs, 300_000);
    assert.deepEqual(settings.retention, { maxCount: 20, maxAgeDays: 30 });
    assert.equal(settings.syncEvery, 32);
    assert.deepEqual(settings.run, { writeBack: true, maxAttempts: 3, concurrency: undefined, fileSnapshots: true, verify: [], budgets: {} });
  });

  it('reads what the user set, trimmed and within bounds', () => {
    const settings = settingsFrom(
      source({
        provider: 'anthropic',
        fallback: ['openai', 'nonsense', 'local-model'],
        model: '  claude-x  ',
        'claudeCode.path': '   ',
        'claudeCode.permissionMode': 'acceptEdits',
        'localModel.baseUrl': ' http://127.0.0.1:11434/v1 ',
        'openai.baseUrl': 'file:///etc/passwd',
        'agent.allowedCommands': ['npm test', '  ', 7],
        'run.concurrency': 4,
        'run.maxAttempts': 0,
        'run.verify': ['npm run lint', ''],
        'sessions.syncEvery': 5000,
        'sessions.location': 'workspace',
        'run.budget.maxCostUsd': 5,
        'run.budget.maxTokens': 2_000_000.7,
        'run.budget.maxMinutes': 90,
      }),
    );
    assert.equal(settings.provider, 'anthropic');
    assert.deepEqual(settings.fallback, ['openai', 'local-model']);
    assert.equal(settings.model, 'claude-x');
    assert.equal(settings.claudeCodePath, 'claude');
    assert.equal(settings.claudeCodePermissionMode, 'acceptEdits');
    assert.deepEqual(settings.baseUrls, { localModel: 'http://127.0.0.1:11434/v1' });
    assert.deepEqual(settings.allowedCommands, ['npm test']);
    assert.equal(settings.run.concurrency, 4);
    assert.equal(settings.run.maxAttempts, 1);
    assert.deepEqual(settings.run.verify, ['npm run lint']);
    assert.equal(settings.syncEvery, 1024);
    assert.equal(settings.sessionsLocation, 'workspace');
    assert.deepEqual(settings.run.budgets, { costUsd: 5, tokens: 2_000_000, wallMs: 90 * 60_000 });
    assert.equal(describeBudgets(settings.run.budgets), 'at most $5.00, 2,000,000 tokens, 90 min');
  });

  it('treats a value of the wrong type (settings.json is hand-edited) as unset', () => {
    const settings = settingsFrom(
      source({
        provider: 42,
        'run.writeBack': 'no',
        'run.maxAttempts': '7',
        'run.verify': 'npm test',
        'run.budget.maxCostUsd': Number.NaN,
        'checkpoints.keep': -3,
      }),
    );
    assert.equal(settings.provider, 'claude-code');
    assert.equal(settings.run.writeBack, true);
    assert.equal(settings.run.maxAttempts, 3);
    assert.deepEqual(settings.run.verify, []);
    assert.deepEqual(settings.run.budgets, {});
    assert.equal(settings.retention.maxCount, 1);
    assert.equal(describeBudgets(settings.run.budgets), undefined);
  });

  it('hands a run the settings as RunSettings, which the app validates once', () => {
    const fresh = validateRunSettings(runSettingsInput(settingsFrom(source({}))), { face: 'extension', labels: RUN_SETTING_LABELS });
    assert.deepEqual(fresh, {
      provider: 'claude-code',
      maxAttempts: 3,
      includeOptional: false,
      writeBack: true,
      verify: [],
      budgets: {},
      fileSnapshots: true,
      retryFailed: false,
    });
    const set = settingsFrom(
      source({
        provider: 'vscode-lm',
        model: 'm',
        'run.concurrency': 2,
        'run.maxAttempts': 0,
        'run.writeBack': false,
        'run.fileSnapshots': false,
        'run.verify': ['npm test'],
        'run.budget.maxCostUsd': 1.5,
        'run.budget.maxTokens': 1000.5,
        'run.budget.maxMinutes': 2.5,
      }),
    );
    assert.deepEqual(validateRunSettings(runSettingsInput(set, { retryFailed: true }), { face: 'extension', labels: RUN_SETTING_LABELS }), {
      provider: 'vscode-lm',
      model: 'm',
      concurrency: 2,
      maxAttempts: 1,
      includeOptional: false,
      writeBack: false,
      verify: ['npm test'],
      budgets: { costUsd: 1.5, tokens: 1000, wallMs: 150_000 },
      fileSnapshots: false,
      retryFailed: true,
    });
  });
});
