/**
 * The `aca` configuration file (TOML): where it is looked for, which one is used, and its validated
 * content. Secrets never live here: API keys come from the environment or VS Code's SecretStorage.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { strategyModeValues } from '../model/plan';
import { PROVIDER_NAMES } from '../providers/provider';
import { fieldPath, PlanError } from '../plan/problems';

/** A model API's section: the model, the server, and the model's input window (for trimming; default: a table of known models). */
const modelApiSection = z.object({ model: z.string().min(1).optional(), base_url: z.url().optional(), context_window: z.number().int().min(1000).optional() }).strict().optional();

export const configSchema = z
  .object({
    provider: z.enum(PROVIDER_NAMES).optional(),
    model: z.string().min(1).optional(),
    strategy: z.object({ mode: strategyModeValues.optional(), max_concurrent: z.number().int().min(1).max(64).optional() }).strict().optional(),
    checkpoints: z.object({ keep: z.number().int().min(1).optional(), max_age_days: z.number().min(0).optional() }).strict().optional(),
    sessions: z.object({ sync_every: z.number().int().min(1).max(1024).optional() }).strict().optional(),
    /** Providers to continue with, in order, when the main one cannot (auth, usage limit, repeated failure). */
    fallback: z.array(z.enum(PROVIDER_NAMES)).optional(),
    claude_code: z
      .object({
        /** The `claude` executable; default: `claude` on PATH. */
        path: z.string().min(1).optional(),
        /** Analysis: the whole call. Runs: how long the CLI may print nothing before ACA stops it. */
        timeout_seconds: z.number().positive().optional(),
        model: z.string().min(1).optional(),
        permission_mode: z.enum(['default', 'acceptEdits', 'plan', 'dontAsk']).optional(),
        allowed_tools: z.array(z.string().min(1)).optional(),
        disallowed_tools: z.array(z.string().min(1)).optional(),
        max_turns: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
    codex: z
      .object({
        path: z.string().min(1).optional(),
        model: z.string().min(1).optional(),
        profile: z.string().min(1).optional(),
        /** `-c key=value` overrides, passed as they are. */
        config: z.array(z.string().regex(/^[^=\s]+=/, 'expected "key=value"')).optional(),
        timeout_seconds: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    /** The model APIs (ACA runs the agent loop): model and base URL; keys only from the environment or SecretStorage. */
    anthropic: modelApiSection,
    openai: modelApiSection,
    local_model: modelApiSection,
    /** ACA's own agent loop (API providers): commands that run without asking, model turns per attempt. */
    agent: z.object({ allowed_commands: z.array(z.string().min(1)).optional(), max_steps: z.number().int().min(1).max(500).optional() }).strict().optional(),
    /** USD per million tokens by model, over ACA's table (prices change). */
    prices: z.record(z.string().min(1), z.object({ input: z.number().nonnegative(), output: z.number().nonnegative(), cached: z.number().nonnegative().default(0) }).strict()).optional(),
    /** Per provider: requests and tokens per minute, runs at once. */
    limits: z
      .partialRecord(
        z.enum(PROVIDER_NAMES),
        z.object({ requests_per_minute: z.number().positive().optional(), tokens_per_minute: z.number().positive().optional(), max_concurrent: z.number().int().min(1).optional() }).strict(),
      )
      .optional(),
  })
  .strict();
export type AcaConfig = z.infer<typeof configSchema>;

export interface ConfigCandidate {
  readonly path: string;
  readonly exists: boolean;
}

export interface LoadedConfig {
  readonly config: AcaConfig;
  /** The file used, if any. */
  readonly file: string | undefined;
  /** Every place looked at, in order. */
  readonly candidates: readonly ConfigCandidate[];
}

export function configCandidates(cwd: string, home = os.homedir()): string[] {
  return [path.join(cwd, 'aca.toml'), path.join(cwd, '.aca', 'config.toml'), path.join(home, '.aca', 'config.toml')];
}

/** An explicit file must exist; otherwise the first candidate that exists is used. */
export async function loadConfig(cwd: string, explicit?: string, home?: string): Promise<LoadedConfig> {
  const paths = explicit ? [path.resolve(cwd, explicit)] : configCandidates(cwd, home);
  const candidates: ConfigCandidate[] = [];
  for (const candidate of paths) {
    const text = await readFile(candidate, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && !explicit) {
        return undefined;
      }
      throw new PlanError([{ severity: 'error', code: 'config-unreadable', message: `cannot read the configuration: ${error.message}`, file: candidate }]);
    });
    candidates.push({ path: candidate, exists: text !== undefined });
    if (text !== undefined) {
      return { config: parseConfig(text, candidate), file: candidate, candidates: [...candidates, ...paths.slice(candidates.length).map((p) => ({ path: p, exists: false }))] };
    }
  }
  return { config: {}, file: undefined, candidates };
}

export function parseConfig(text: string, file: string): AcaConfig {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    throw new PlanError([{ severity: 'error', code: 'config-syntax', message: `not valid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, file, ...(line ? { line } : {}) }]);
  }
  const result = configSchema.safeParse(data);
  if (!result.success) {
    throw new PlanError(result.error.issues.map((issue) => ({ severity: 'error' as const, code: 'config-invalid', message: issue.message, file, field: fieldPath(issue.path) })));
  }
  return result.data;
}
