/**
 * Providers and the dispatcher from the configuration (aca.toml, VS Code settings mapped to the same shape)
 * and the environment. Secrets are never in the configuration: each CLI reads its own login or key.
 */
import type { AcaConfig } from '../config/config';
import { ClaudeCodeProvider } from './claudeCode';
import { CodexProvider } from './codex';
import { AgentDispatcher, type DispatcherOptions } from './dispatcher';
import type { LimiterOptions } from './limits';
import type { CommandPolicy } from '../agent/workspaceTools';
import { ModelAgentProvider, type HostModelSource, type HttpModelApiName } from './modelAgent';
import { PROVIDER_NAMES, type AgentProvider, type ProviderName } from './provider';

/** Models used when none is configured (the user's settings or aca.toml override them); the API ones are in the price table. */
export const DEFAULT_API_MODELS = { anthropic: 'claude-sonnet-4-5', openai: 'gpt-5.4', 'local-model': 'qwen2.5-coder' } as const;

export interface ProviderEnvironment {
  /** API keys (VS Code: from SecretStorage); default: ANTHROPIC_API_KEY / OPENAI_API_KEY from the environment. */
  readonly apiKeys?: Partial<Record<'anthropic' | 'openai' | 'local-model', string>>;
  /** Asks the user about a command the model wants to run that is not on the allowlist (else it is denied). */
  readonly askCommand?: CommandPolicy['ask'];
  /** Extra environment for the CLIs (the process environment is inherited). */
  readonly env?: Readonly<Record<string, string>>;
  /** Overrides of the executables, e.g. from `ACA_CLAUDE_PATH` / `ACA_CODEX_PATH`. */
  readonly claudePath?: string;
  readonly codexPath?: string;
  /** VS Code's language models (`vscode-lm`); absent in the aca command. */
  readonly hostModels?: HostModelSource;
}

export function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

export function createProvider(name: ProviderName, config: AcaConfig, environment: ProviderEnvironment = {}, model?: string): AgentProvider {
  const env = environment.env ? { env: environment.env } : {};
  if (name === 'claude-code') {
    const options = config.claude_code ?? {};
    const chosenModel = model ?? options.model;
    return new ClaudeCodeProvider({
      executable: environment.claudePath ?? options.path ?? 'claude',
      ...(chosenModel ? { model: chosenModel } : {}),
      ...(options.permission_mode ? { permissionMode: options.permission_mode } : {}),
      ...(options.allowed_tools ? { allowedTools: options.allowed_tools } : {}),
      ...(options.disallowed_tools ? { disallowedTools: options.disallowed_tools } : {}),
      ...(options.max_turns ? { maxTurns: options.max_turns } : {}),
      ...(options.timeout_seconds ? { idleTimeoutMs: options.timeout_seconds * 1000 } : {}),
      ...env,
    });
  }
  if (name === 'anthropic' || name === 'openai' || name === 'local-model') {
    return createModelAgent(name, config, environment, model);
  }
  if (name === 'vscode-lm') {
    return new ModelAgentProvider({
      name,
      model: model ?? 'vscode-lm',
      ...agentLoopOptions(config, environment),
      ...(environment.hostModels ? { host: environment.hostModels } : {}),
    });
  }
  const options = config.codex ?? {};
  const chosenModel = model ?? options.model;
  return new CodexProvider({
    executable: environment.codexPath ?? options.path ?? 'codex',
    ...(chosenModel ? { model: chosenModel } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.timeout_seconds ? { idleTimeoutMs: options.timeout_seconds * 1000 } : {}),
    ...(config.prices ? { prices: config.prices } : {}),
    ...env,
  });
}

/** Model, base URL and key of a model API: the configuration, then the environment (the key: SecretStorage first). */
export function modelApiSettings(
  name: HttpModelApiName,
  config: AcaConfig,
  environment: ProviderEnvironment = {},
  model?: string,
): { model: string; baseUrl?: string; apiKey?: string } {
  const fromEnv = { ...process.env, ...environment.env };
  const section = name === 'local-model' ? config.local_model : config[name];
  const baseUrl =
    section?.base_url ??
    (name === 'anthropic'
      ? fromEnv['ANTHROPIC_BASE_URL']
      : name === 'openai'
        ? fromEnv['OPENAI_BASE_URL']
        : fromEnv['OLLAMA_HOST']
          ? `${withScheme(fromEnv['OLLAMA_HOST'])}/v1`
          : undefined);
  const apiKey =
    environment.apiKeys?.[name] ??
    (name === 'anthropic' ? fromEnv['ANTHROPIC_API_KEY'] : name === 'openai' ? fromEnv['OPENAI_API_KEY'] : fromEnv['LOCAL_MODEL_API_KEY']);
  return { model: model ?? section?.model ?? DEFAULT_API_MODELS[name], ...(baseUrl ? { baseUrl } : {}), ...(apiKey ? { apiKey } : {}) };
}

function createModelAgent(name: HttpModelApiName, config: AcaConfig, environment: ProviderEnvironment, model?: string): ModelAgentProvider {
  const contextWindow = (name === 'local-model' ? config.local_model : config[name])?.context_window;
  return new ModelAgentProvider({
    name,
    ...modelApiSettings(name, config, environment, model),
    ...(contextWindow ? { contextWindow } : {}),
    ...agentLoopOptions(config, environment),
  });
}

/** What every agent loop of ACA's shares: the command policy, the step limit, the prices. */
function agentLoopOptions(config: AcaConfig, environment: ProviderEnvironment) {
  return {
    commands: { allow: config.agent?.allowed_commands ?? DEFAULT_ALLOWED_COMMANDS, ...(environment.askCommand ? { ask: environment.askCommand } : {}) },
    ...(config.agent?.max_steps ? { maxSteps: config.agent.max_steps } : {}),
    ...(config.prices ? { prices: config.prices } : {}),
  };
}

/** Programs the API agents may run without asking: builds and tests, never a shell or a network tool. */
export const DEFAULT_ALLOWED_COMMANDS: readonly string[] = [
  'npm',
  'npx',
  'node',
  'pnpm',
  'yarn',
  'tsc',
  'python3',
  'pytest',
  'cargo',
  'go',
  'make',
  'ls',
  'cat',
];

/** OLLAMA_HOST may be `host:port` without a scheme. */
function withScheme(host: string): string {
  return (/^https?:\/\//.test(host) ? host : `http://${host}`).replace(/\/+$/, '');
}

/** The chain: the chosen provider first, then the configured fallbacks (each once). */
export function providerChain(main: ProviderName, fallback: readonly ProviderName[] = []): ProviderName[] {
  return [...new Set([main, ...fallback])];
}

export function createDispatcher(
  config: AcaConfig,
  options: { provider?: ProviderName; model?: string; environment?: ProviderEnvironment } & Partial<Omit<DispatcherOptions, 'chain'>> = {},
): AgentDispatcher {
  const { provider, model, environment, ...rest } = options;
  const names = providerChain(provider ?? config.provider ?? 'claude-code', config.fallback);
  const limits: Partial<Record<ProviderName, LimiterOptions>> = {};
  for (const [name, limit] of Object.entries(config.limits ?? {}) as Array<[ProviderName, NonNullable<AcaConfig['limits']>[ProviderName]]>) {
    if (limit) {
      limits[name] = {
        ...(limit.requests_per_minute ? { requestsPerMinute: limit.requests_per_minute } : {}),
        ...(limit.tokens_per_minute ? { tokensPerMinute: limit.tokens_per_minute } : {}),
        ...(limit.max_concurrent ? { maxConcurrent: limit.max_concurrent } : {}),
      };
    }
  }
  // The model given on the command line is for the main provider; fallbacks use their own configured one.
  const chain = names.map((name, i) => createProvider(name, config, environment, i === 0 ? model : undefined));
  return new AgentDispatcher({ chain, limits, ...rest });
}
