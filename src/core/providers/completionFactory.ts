/**
 * The completion port plan analysis uses, for a provider name: Claude Code's CLI, or a model API through the
 * AI SDK (the same model, base URL and key as that provider's runs).
 */
import type { AcaConfig } from '../config/config';
import type { CompletionPort } from '../plan/analyze';
import { ClaudeCodeCompletion } from './claudeCodeCompletion';
import { modelApiSettings, type ProviderEnvironment } from './factory';
import { languageModelFor } from './modelAgent';
import { ModelCompletion } from './modelCompletion';
import type { ProviderName } from './provider';

export interface CompletionPortOptions {
  /** Where Claude Code runs (the workspace). */
  readonly cwd: string;
  /** Keys and environment, as for runs (the CLI: its environment; VS Code: SecretStorage). */
  readonly environment?: ProviderEnvironment;
  /** The model; default: the provider's configured one, else ACA's default for it. */
  readonly model?: string;
  /** The whole analysis call (default: claude_code.timeout_seconds for Claude Code, else 5 minutes). */
  readonly timeoutMs?: number;
  /** The `claude` executable, over the environment's and the configuration's. */
  readonly claudePath?: string;
}

/** Analysis providers, for messages (Codex analyses through Claude Code for now). */
export const ANALYSIS_PROVIDERS: readonly ProviderName[] = ['claude-code', 'anthropic', 'openai', 'local-model'];

export function createCompletionPort(name: ProviderName, config: AcaConfig, options: CompletionPortOptions): CompletionPort {
  const environment = options.environment ?? {};
  const timeoutMs = options.timeoutMs ?? (config.claude_code?.timeout_seconds ?? 300) * 1000;
  if (name === 'claude-code' || name === 'openai-codex') {
    // Analysis with Codex is not supported yet: it goes through Claude Code, as it always has.
    const model = options.model ?? config.claude_code?.model;
    return new ClaudeCodeCompletion({
      executable: options.claudePath ?? environment.claudePath ?? config.claude_code?.path ?? 'claude',
      cwd: options.cwd,
      ...(model ? { model } : {}),
      ...(environment.env ? { env: environment.env } : {}),
      timeoutMs,
    });
  }
  if (name === 'anthropic' || name === 'openai' || name === 'local-model') {
    const settings = modelApiSettings(name, config, environment, options.model);
    const model = languageModelFor(name, settings);
    return new ModelCompletion({
      name,
      model,
      modelId: settings.model,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      structuredOutput: true,
      ...(settings.apiKey ? { secrets: [settings.apiKey] } : {}),
    });
  }
  throw new Error(`Analysis with the provider "${String(name)}" is not supported; use one of ${ANALYSIS_PROVIDERS.join(', ')}.`);
}
