/**
 * The providers' configuration from VS Code: the `aca.*` settings in aca.toml's shape, and the environment
 * (keys from SecretStorage, VS Code's language models). Runs and "Analyze Tasks with AI" share it, so both
 * reach the same servers with the same keys.
 */
import * as vscode from 'vscode';
import { registerSecret } from '../core/common/redact';
import type { AcaConfig } from '../core/config/config';
import { isProviderName, type ProviderEnvironment } from '../core/providers/factory';
import type { ProviderName } from '../core/providers/provider';
import { readSettings } from './settings';
import { VscodeModelSource } from './vscodeLanguageModel';

const PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'dontAsk'] as const;
type PermissionMode = (typeof PERMISSION_MODES)[number];
const isPermissionMode = (value: string): value is PermissionMode => (PERMISSION_MODES as readonly string[]).includes(value);

export interface ProviderSetup {
  readonly provider: ProviderName;
  readonly model?: string;
  readonly config: AcaConfig;
  readonly environment: ProviderEnvironment;
}

export async function providerSetup(secrets: vscode.SecretStorage, askCommand?: ProviderEnvironment['askCommand']): Promise<ProviderSetup> {
  const aca = vscode.workspace.getConfiguration('aca');
  const model = aca.get<string>('model', '').trim();
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
  return {
    provider: config.provider ?? 'claude-code',
    ...(model ? { model } : {}),
    config,
    environment: { apiKeys, ...(askCommand ? { askCommand } : {}), hostModels: new VscodeModelSource(() => aca.get<string>('vscodeLm.model', '')) },
  };
}

/** The `aca.*` settings in aca.toml's shape (no secrets): what runs, where, and what may run without asking. */
export function providerConfig(): AcaConfig {
  const settings = readSettings();
  const aca = vscode.workspace.getConfiguration('aca');
  const provider = aca.get<string>('provider', 'claude-code');
  const baseUrl = (key: string): string | undefined => {
    const value = aca.get<string>(key, '').trim();
    return /^https?:\/\//.test(value) ? value : undefined;
  };
  const [localBaseUrl, anthropicBaseUrl, openaiBaseUrl] = [baseUrl('localModel.baseUrl'), baseUrl('anthropic.baseUrl'), baseUrl('openai.baseUrl')];
  const allowedCommands = aca.get<string[]>('agent.allowedCommands', []).filter((c) => typeof c === 'string' && c.trim());
  const permissionMode = aca.get<string>('claudeCode.permissionMode', '');
  return {
    provider: isProviderName(provider) ? provider : 'claude-code',
    fallback: aca.get<string[]>('fallback', []).filter(isProviderName),
    claude_code: { path: settings.claudeCodePath, ...(isPermissionMode(permissionMode) ? { permission_mode: permissionMode } : {}) },
    codex: { path: aca.get<string>('codex.path', 'codex').trim() || 'codex' },
    ...(localBaseUrl ? { local_model: { base_url: localBaseUrl } } : {}),
    ...(anthropicBaseUrl ? { anthropic: { base_url: anthropicBaseUrl } } : {}),
    ...(openaiBaseUrl ? { openai: { base_url: openaiBaseUrl } } : {}),
    ...(allowedCommands.length ? { agent: { allowed_commands: allowedCommands } } : {}),
  };
}

/** `aca.run.verify`: commands that check a task without a verify of its own. */
export function defaultVerifyCommands(): string[] {
  return vscode.workspace.getConfiguration('aca').get<string[]>('run.verify', []).filter((c) => typeof c === 'string' && c.trim().length > 0);
}
