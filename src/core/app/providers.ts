/**
 * The provider registry: the one list of the coding agents both faces offer, with what each needs. The
 * names come from PROVIDER_NAMES (src/core/model/provider.ts); package.json's `aca.provider` enum and its
 * descriptions are checked against this list by a unit test.
 */
import { PROVIDER_NAMES, type ProviderName } from '../model/provider';

export interface ProviderInfo {
  readonly name: ProviderName;
  /** A short human name. */
  readonly label: string;
  /** What it is: the enum description of `aca.provider` in package.json. */
  readonly description: string;
  /** Runs under the `aca` command (VS Code's language models are only reachable from the extension). */
  readonly cli: boolean;
  /** The API key it needs (Set API Key…, else the environment). */
  readonly needsKey?: 'anthropic' | 'openai';
}

const INFO: Record<ProviderName, Omit<ProviderInfo, 'name'>> = {
  'claude-code': { label: 'Claude Code CLI', description: 'Claude Code CLI, with your login', cli: true },
  'openai-codex': { label: 'OpenAI Codex CLI', description: 'OpenAI Codex CLI, with your login', cli: true },
  anthropic: { label: 'Anthropic API', description: "Anthropic API (key from Set API Key…), run by ACA's own agent loop", cli: true, needsKey: 'anthropic' },
  openai: { label: 'OpenAI API', description: "OpenAI API (key from Set API Key…), run by ACA's own agent loop", cli: true, needsKey: 'openai' },
  'local-model': { label: 'Local model', description: "Ollama or another OpenAI-compatible server, run by ACA's own agent loop", cli: true },
  'vscode-lm': { label: 'VS Code language model', description: "A language model of VS Code (e.g. GitHub Copilot's), run by ACA's own agent loop", cli: false },
};

/** Every provider, in PROVIDER_NAMES' order (the agent CLIs, then the model APIs). */
export const PROVIDERS: readonly ProviderInfo[] = PROVIDER_NAMES.map((name) => ({ name, ...INFO[name] }));

/** The provider used when neither a flag, aca.toml nor a setting names one. */
export const DEFAULT_PROVIDER: ProviderName = 'claude-code';

export function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

export function providerInfo(name: ProviderName): ProviderInfo {
  return { name, ...INFO[name] };
}

/** Why this face cannot run with this provider (a flag's words), or undefined when it can. */
export function providerProblem(provider: string, face: 'cli' | 'extension' = 'cli', label = '--provider'): string | undefined {
  if (!isProviderName(provider)) {
    const usable = PROVIDERS.filter((p) => face === 'extension' || p.cli).map((p) => p.name);
    return `${label} ${provider}: use one of ${usable.join(', ')}`;
  }
  if (face === 'cli' && !INFO[provider].cli) {
    return `${label} ${provider}: the language models of VS Code (e.g. Copilot's) are only reachable from the ACA extension; use anthropic, openai or local-model here`;
  }
  return undefined;
}
