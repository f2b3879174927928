/**
 * The providers' configuration from VS Code: the `aca.*` settings in aca.toml's shape, and the environment
 * (keys from SecretStorage, VS Code's language models). Runs and "Analyze Tasks with AI" share it, so both
 * reach the same servers with the same keys. Only types come from the providers: their code is in the
 * runtime bundle (lazyLoader.ts), loaded when a run or an analysis starts.
 */
import type * as vscode from 'vscode';
import { registerSecret } from '../core/common/redact';
import type { AcaConfig } from '../core/config/config';
import type { ProviderName } from '../core/model/provider';
import type { ProviderEnvironment } from '../core/providers/factory';
import type { Logger } from '../core/common/logger';
import { loadRuntime } from './lazyLoader';
import { readSettings } from './settings';

export interface ProviderSetup {
  readonly provider: ProviderName;
  readonly model?: string;
  readonly config: AcaConfig;
  readonly environment: ProviderEnvironment;
}

/** Loads the runtime bundle (VS Code's language models are reached through it). */
export async function providerSetup(secrets: vscode.SecretStorage, askCommand?: ProviderEnvironment['askCommand'], logger?: Logger): Promise<ProviderSetup> {
  const settings = readSettings();
  const config = providerConfig();
  // The model APIs' keys come from SecretStorage only (the environment when none is stored).
  const apiKeys: Partial<Record<'anthropic' | 'openai', string>> = {};
  for (const service of ['anthropic', 'openai'] as const) {
    const key = await secrets.get(`aca.apiKey.${service}`);
    if (key) {
      apiKeys[service] = key;
      registerSecret(key); // redacted from every file and log ACA writes, whatever shape it has
    }
  }
  const { VscodeModelSource } = loadRuntime(logger);
  return {
    provider: config.provider ?? 'claude-code',
    ...(settings.model ? { model: settings.model } : {}),
    config,
    environment: { apiKeys, ...(askCommand ? { askCommand } : {}), hostModels: new VscodeModelSource(() => readSettings().vscodeLmModel) },
  };
}

/** The `aca.*` settings in aca.toml's shape (no secrets): what runs, where, and what may run without asking. */
export function providerConfig(): AcaConfig {
  const settings = readSettings();
  const { localModel, anthropic, openai } = settings.baseUrls;
  return {
    provider: settings.provider,
    fallback: [...settings.fallback],
    claude_code: { path: settings.claudeCodePath, ...(settings.claudeCodePermissionMode ? { permission_mode: settings.claudeCodePermissionMode } : {}) },
    codex: { path: settings.codexPath },
    ...(localModel ? { local_model: { base_url: localModel } } : {}),
    ...(anthropic ? { anthropic: { base_url: anthropic } } : {}),
    ...(openai ? { openai: { base_url: openai } } : {}),
    ...(settings.allowedCommands.length ? { agent: { allowed_commands: [...settings.allowedCommands] } } : {}),
  };
}

/** `aca.run.verify`: commands that check a task without a verify of its own. */
export function defaultVerifyCommands(): string[] {
  return [...readSettings().run.verify];
}
