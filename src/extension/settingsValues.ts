/**
 * Every `aca.*` setting ACA reads, typed and checked, from any key→value source. No `vscode` import: VS Code
 * hands a settings.json value over as whatever the user typed, so each is checked here (a wrong type falls
 * back to the default, as an unset setting does) and unit-tested on plain Node. settings.ts reads VS Code's
 * configuration through this.
 */
import type { RunSettingsField, RunSettingsInput } from '../core/app/runSettings';
import type { Budgets } from '../core/engine/engine';
import { DEFAULT_PROVIDER, isProviderName } from '../core/app/providers';
import type { ProviderName } from '../core/model/provider';

/** What `vscode.WorkspaceConfiguration` offers for reading (scoped to `aca`). */
export interface SettingsSource {
  get(key: string): unknown;
}

export const PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'dontAsk'] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];

/** What a run takes from the settings (VS Code's counterpart of `aca run`'s flags). */
export interface RunSettingsFromVscode {
  readonly writeBack: boolean;
  /** At least 1. */
  readonly maxAttempts: number;
  /** Undefined: the plan's own strategy decides (the setting is 0). */
  readonly concurrency: number | undefined;
  readonly fileSnapshots: boolean;
  /** `aca.run.verify`: commands that check a task without a verify of its own. */
  readonly verify: readonly string[];
  /** 0 in a setting means no budget: that field is absent. */
  readonly budgets: Budgets;
}

export interface AcaSettings {
  readonly provider: ProviderName;
  readonly fallback: readonly ProviderName[];
  /** `aca.model`, trimmed; undefined when empty. */
  readonly model: string | undefined;
  readonly claudeCodePath: string;
  readonly claudeCodePermissionMode: PermissionMode | undefined;
  readonly codexPath: string;
  /** Base URLs, only when they are http(s) URLs. */
  readonly baseUrls: { readonly localModel?: string; readonly anthropic?: string; readonly openai?: string };
  /** `aca.vscodeLm.model`: a VS Code language model's id or family; empty for the first one offered. */
  readonly vscodeLmModel: string;
  readonly allowedCommands: readonly string[];
  readonly analysisModel: string | undefined;
  readonly analysisTimeoutMs: number;
  readonly retention: { maxCount: number; maxAgeDays: number };
  readonly syncEvery: number;
  readonly sessionsLocation: 'workspace' | 'workspaceStorage';
  readonly openPanelAfterParse: boolean;
  readonly run: RunSettingsFromVscode;
}

export function settingsFrom(source: SettingsSource): AcaSettings {
  const read = reader(source);
  const provider = read.string('provider', DEFAULT_PROVIDER);
  const permissionMode = read.string('claudeCode.permissionMode', '');
  return {
    provider: isProviderName(provider) ? provider : DEFAULT_PROVIDER,
    fallback: read.strings('fallback').filter(isProviderName),
    model: read.string('model', '').trim() || undefined,
    claudeCodePath: read.string('claudeCode.path', 'claude').trim() || 'claude',
    claudeCodePermissionMode: (PERMISSION_MODES as readonly string[]).includes(permissionMode) ? (permissionMode as PermissionMode) : undefined,
    codexPath: read.string('codex.path', 'codex').trim() || 'codex',
    baseUrls: {
      ...optional('localModel', read.url('localModel.baseUrl')),
      ...optional('anthropic', read.url('anthropic.baseUrl')),
      ...optional('openai', read.url('openai.baseUrl')),
    },
    vscodeLmModel: read.string('vscodeLm.model', ''),
    allowedCommands: read.strings('agent.allowedCommands'),
    analysisModel: read.string('analysis.model', '').trim() || undefined,
    analysisTimeoutMs: Math.max(10, read.number('analysis.timeoutSeconds', 300)) * 1000,
    retention: { maxCount: Math.max(1, read.number('checkpoints.keep', 20)), maxAgeDays: Math.max(0, read.number('checkpoints.maxAgeDays', 30)) },
    syncEvery: Math.min(1024, Math.max(1, read.number('sessions.syncEvery', 32))),
    sessionsLocation: read.string('sessions.location', 'workspaceStorage') === 'workspace' ? 'workspace' : 'workspaceStorage',
    openPanelAfterParse: read.boolean('plan.openPanelAfterParse', true),
    run: runSettingsFrom(read),
  };
}

function runSettingsFrom(read: Reader): RunSettingsFromVscode {
  const concurrency = read.number('run.concurrency', 0);
  return {
    writeBack: read.boolean('run.writeBack', true),
    maxAttempts: Math.max(1, read.number('run.maxAttempts', 3)),
    concurrency: concurrency > 0 ? concurrency : undefined,
    fileSnapshots: read.boolean('run.fileSnapshots', true),
    verify: read.strings('run.verify'),
    budgets: budgetsFrom(read),
  };
}

/** The run's budgets (0 means none); the plan panel names them before a run. */
function budgetsFrom(read: Reader): Budgets {
  const positive = (key: string): number | undefined => {
    const value = read.number(key, 0);
    return value > 0 ? value : undefined;
  };
  const [costUsd, tokens, minutes] = [positive('run.budget.maxCostUsd'), positive('run.budget.maxTokens'), positive('run.budget.maxMinutes')];
  return {
    ...(costUsd !== undefined ? { costUsd } : {}),
    ...(tokens !== undefined ? { tokens: Math.floor(tokens) } : {}),
    ...(minutes !== undefined ? { wallMs: minutes * 60_000 } : {}),
  };
}

/**
 * What a run of VS Code takes from the settings, for the app to validate once (validateRunSettings). The
 * numbers are already within their settings' bounds, so that a value VS Code lets through never stops a run.
 */
export function runSettingsInput(settings: AcaSettings, options: { readonly retryFailed?: boolean } = {}): RunSettingsInput {
  const { run, provider, model } = settings;
  const { costUsd, tokens, wallMs } = run.budgets;
  return {
    provider,
    ...(model !== undefined ? { model } : {}),
    ...(run.concurrency !== undefined ? { concurrency: run.concurrency } : {}),
    maxAttempts: run.maxAttempts,
    writeBack: run.writeBack,
    verify: run.verify,
    fileSnapshots: run.fileSnapshots,
    ...(costUsd !== undefined ? { maxCost: costUsd } : {}),
    ...(tokens !== undefined ? { maxTokens: tokens } : {}),
    ...(wallMs !== undefined ? { maxMinutes: wallMs / 60_000 } : {}),
    retryFailed: options.retryFailed ?? false,
  };
}

/** How VS Code names each field of a run's settings in an error (the CLI names its flags). */
export const RUN_SETTING_LABELS: Readonly<Partial<Record<RunSettingsField, string>>> = {
  provider: 'aca.provider',
  model: 'aca.model',
  concurrency: 'aca.run.concurrency',
  maxAttempts: 'aca.run.maxAttempts',
  writeBack: 'aca.run.writeBack',
  verify: 'aca.run.verify',
  fileSnapshots: 'aca.run.fileSnapshots',
  maxCost: 'aca.run.budget.maxCostUsd',
  maxTokens: 'aca.run.budget.maxTokens',
  maxMinutes: 'aca.run.budget.maxMinutes',
};

/** "at most $5.00, 2,000,000 tokens, 90 min", or undefined without a budget. */
export function describeBudgets(budgets: Budgets): string | undefined {
  const parts = [
    budgets.costUsd !== undefined ? `$${budgets.costUsd.toFixed(2)}` : '',
    budgets.tokens !== undefined ? `${budgets.tokens.toLocaleString('en-US')} tokens` : '',
    budgets.wallMs !== undefined ? `${Math.round(budgets.wallMs / 60_000)} min` : '',
  ].filter(Boolean);
  return parts.length ? `at most ${parts.join(', ')}` : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

type Reader = ReturnType<typeof reader>;

/** Typed reads: a value of the wrong type counts as unset. */
function reader(source: SettingsSource) {
  const value = (key: string): unknown => source.get(key);
  return {
    string: (key: string, fallback: string): string => {
      const v = value(key);
      return typeof v === 'string' ? v : fallback;
    },
    number: (key: string, fallback: number): number => {
      const v = value(key);
      return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
    },
    boolean: (key: string, fallback: boolean): boolean => {
      const v = value(key);
      return typeof v === 'boolean' ? v : fallback;
    },
    /** A list of non-blank strings (other entries are dropped). */
    strings: (key: string): string[] => {
      const v = value(key);
      return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.trim().length > 0) : [];
    },
    url: (key: string): string | undefined => {
      const v = value(key);
      const trimmed = typeof v === 'string' ? v.trim() : '';
      return /^https?:\/\//.test(trimmed) ? trimmed : undefined;
    },
  };
}
