/**
 * Providers and the dispatcher from the configuration (aca.toml, VS Code settings mapped to the same shape)
 * and the environment. Secrets are never in the configuration: each CLI reads its own login or key.
 */
import type { AcaConfig } from '../config/config';
import { ClaudeCodeProvider } from './claudeCode';
import { CodexProvider } from './codex';
import { AgentDispatcher, type DispatcherOptions } from './dispatcher';
import type { LimiterOptions } from './limits';
import { PROVIDER_NAMES, type AgentProvider, type ProviderName } from './provider';

export interface ProviderEnvironment {
  /** Extra environment for the CLIs (the process environment is inherited). */
  readonly env?: Readonly<Record<string, string>>;
  /** Overrides of the executables, e.g. from `ACA_CLAUDE_PATH` / `ACA_CODEX_PATH`. */
  readonly claudePath?: string;
  readonly codexPath?: string;
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

/** The chain: the chosen provider first, then the configured fallbacks (each once). */
export function providerChain(main: ProviderName, fallback: readonly ProviderName[] = []): ProviderName[] {
  return [...new Set([main, ...fallback])];
}

export function createDispatcher(config: AcaConfig, options: { provider?: ProviderName; model?: string; environment?: ProviderEnvironment } & Partial<Omit<DispatcherOptions, 'chain'>> = {}): AgentDispatcher {
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
