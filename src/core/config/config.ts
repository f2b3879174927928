/**
 * The `aca` configuration file (TOML): where it is looked for, which one is used, and its validated
 * content. Secrets never live here: API keys come from the environment or VS Code's SecretStorage.
 */
import { realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import * as z from 'zod';
import { readRegularFile, UnsafeFileError } from '../common/untrustedFile';
import { strategyModeValues } from '../model/plan';
import { PROVIDER_NAMES } from '../model/provider';
import { fieldPath, PlanError } from '../model/problems';
import { untrustedDataProblems } from '../model/untrustedData';
import { isTrustedFolder } from './trust';

/** A model name goes into a CLI's argv: it must not read as an option. */
const modelName = z.string().min(1).regex(/^[^-]/, 'a model name does not start with "-"');

/** A model API's section: the model, the server, and the model's input window (for trimming; default: a table of known models). */
const modelApiSection = z
  .object({ model: modelName.optional(), base_url: z.url().optional(), context_window: z.number().int().min(1000).optional() })
  .strict()
  .optional();

export const configSchema = z
  .object({
    provider: z.enum(PROVIDER_NAMES).optional(),
    model: modelName.optional(),
    strategy: z
      .object({ mode: strategyModeValues.optional(), max_concurrent: z.number().int().min(1).max(64).optional() })
      .strict()
      .optional(),
    checkpoints: z
      .object({ keep: z.number().int().min(1).optional(), max_age_days: z.number().min(0).optional() })
      .strict()
      .optional(),
    sessions: z
      .object({ sync_every: z.number().int().min(1).max(1024).optional() })
      .strict()
      .optional(),
    /** Providers to continue with, in order, when the main one cannot (auth, usage limit, repeated failure). */
    fallback: z.array(z.enum(PROVIDER_NAMES)).optional(),
    claude_code: z
      .object({
        /** The `claude` executable; default: `claude` on PATH. */
        path: z.string().min(1).optional(),
        /** Analysis: the whole call. Runs: how long the CLI may print nothing before ACA stops it. */
        timeout_seconds: z.number().positive().optional(),
        model: modelName.optional(),
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
        model: modelName.optional(),
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
    agent: z
      .object({ allowed_commands: z.array(z.string().min(1)).optional(), max_steps: z.number().int().min(1).max(500).optional() })
      .strict()
      .optional(),
    /** USD per million tokens by model, over ACA's table (prices change). */
    prices: z
      .record(
        z.string().min(1),
        z.object({ input: z.number().nonnegative(), output: z.number().nonnegative(), cached: z.number().nonnegative().default(0) }).strict(),
      )
      .optional(),
    /** Per provider: requests and tokens per minute, runs at once. */
    limits: z
      .partialRecord(
        z.enum(PROVIDER_NAMES),
        z
          .object({
            requests_per_minute: z.number().positive().optional(),
            tokens_per_minute: z.number().positive().optional(),
            max_concurrent: z.number().int().min(1).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();
export type AcaConfig = z.infer<typeof configSchema>;

/**
 * Settings a repository must not choose for the user: a program to run, where an API key is sent, extra
 * CLI configuration, what an agent may do without asking. From a workspace's config they apply only when
 * the user trusts that folder; otherwise they come from the user's own config (or the defaults).
 */
export const SETTINGS_NEEDING_TRUST = [
  ['claude_code', 'path'],
  ['claude_code', 'permission_mode'],
  ['claude_code', 'allowed_tools'],
  ['claude_code', 'disallowed_tools'],
  ['codex', 'path'],
  ['codex', 'profile'],
  ['codex', 'config'],
  ['anthropic', 'base_url'],
  ['openai', 'base_url'],
  ['local_model', 'base_url'],
  ['agent', 'allowed_commands'],
] as const;

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
  /** Settings of `file` left out because its folder is not trusted (`claude_code.path`, …). */
  readonly ignored: readonly string[];
  /** The folder that would have to be trusted for them (`aca trust <folder>`), when some were left out. */
  readonly untrustedFolder?: string;
}

export interface LoadConfigOptions {
  /** Trust the used file's folder for this run (`--trust-workspace`). */
  readonly trustWorkspace?: boolean;
}

export function userConfigPath(home = os.homedir()): string {
  return path.join(home, '.aca', 'config.toml');
}

export function configCandidates(cwd: string, home = os.homedir()): string[] {
  return [path.join(cwd, 'aca.toml'), path.join(cwd, '.aca', 'config.toml'), userConfigPath(home)];
}

/** No configuration is this big; a bigger "file" (or /dev/zero) is refused before it is read. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The text of a configuration file, or undefined when it does not exist. Only a regular file of a sane size is read. */
async function readConfigText(file: string): Promise<string | undefined> {
  const unreadable = (reason: string): PlanError =>
    new PlanError([{ severity: 'error', code: 'config-unreadable', message: `cannot read the configuration: ${reason}`, file }]);
  try {
    return (await readRegularFile(file, MAX_CONFIG_BYTES)).toString('utf8');
  } catch (error) {
    if (UnsafeFileError.is(error)) {
      const size = error.size !== undefined ? `${error.size} bytes, ` : '';
      throw unreadable(error.problem === 'not-regular' ? 'not a regular file' : `${size}over the limit of ${MAX_CONFIG_BYTES}`);
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw unreadable((error as Error).message);
  }
}

/**
 * An explicit file must exist; otherwise the first candidate that exists is used. The user's own config is
 * trusted; any other file is trusted when its folder (for `<folder>/.aca/config.toml`, that folder) is on
 * the trust list or `trustWorkspace` is set. From an untrusted file, the settings needing trust are left
 * out and taken from the user's own config instead.
 */
export async function loadConfig(cwd: string, explicit?: string, home = os.homedir(), options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const paths = explicit ? [path.resolve(cwd, explicit)] : configCandidates(cwd, home);
  const candidates: ConfigCandidate[] = [];
  for (const candidate of paths) {
    const text = await readConfigText(candidate);
    if (text === undefined && explicit) {
      throw new PlanError([{ severity: 'error', code: 'config-unreadable', message: 'cannot read the configuration: no such file', file: candidate }]);
    }
    candidates.push({ path: candidate, exists: text !== undefined });
    if (text !== undefined) {
      const config = parseConfig(text, candidate);
      const rest = paths.slice(candidates.length).map((p) => ({ path: p, exists: false }));
      const loaded = { file: candidate, candidates: [...candidates, ...rest] };
      const folder = await untrustedFolderOf(candidate, home, options);
      if (!folder) {
        return { ...loaded, config, ignored: [] };
      }
      const user = await loadUserConfig(home, candidate);
      const { config: kept, ignored } = withSettingsNeedingTrustFrom(config, user);
      return { ...loaded, config: kept, ignored, ...(ignored.length > 0 ? { untrustedFolder: folder } : {}) };
    }
  }
  return { config: {}, file: undefined, candidates, ignored: [] };
}

/** The folder a config file speaks for, when that folder is not trusted; undefined when the file is trusted. */
async function untrustedFolderOf(file: string, home: string, options: LoadConfigOptions): Promise<string | undefined> {
  if (options.trustWorkspace) {
    return undefined;
  }
  // Real paths: a link to the user's config is the user's config; a link out of a trusted folder is not trusted.
  const real = await realpath(file);
  const userConfig = await realpath(userConfigPath(home)).catch(() => undefined); // no user config: this file is not it
  if (real === userConfig) {
    return undefined;
  }
  const directory = path.dirname(real);
  const folder = path.basename(directory) === '.aca' ? path.dirname(directory) : directory;
  return (await isTrustedFolder(folder, home)) ? undefined : folder;
}

/** The user's own config (~/.aca/config.toml), unless it is the file already read. */
async function loadUserConfig(home: string, alreadyRead: string): Promise<AcaConfig> {
  const file = userConfigPath(home);
  if (path.resolve(file) === path.resolve(alreadyRead)) {
    return {};
  }
  const text = await readConfigText(file);
  return text === undefined ? {} : parseConfig(text, file);
}

/** `config` with each setting needing trust replaced by the user's own (or left out), and the names of those it had. */
function withSettingsNeedingTrustFrom(config: AcaConfig, user: AcaConfig): { config: AcaConfig; ignored: string[] } {
  type Sections = Record<string, Record<string, unknown> | undefined>;
  const result = structuredClone(config) as Sections;
  const ignored: string[] = [];
  for (const [section, key] of SETTINGS_NEEDING_TRUST) {
    const own = result[section];
    if (own && key in own) {
      ignored.push(`${section}.${key}`);
      delete own[key];
    }
    const userValue = (user as Sections)[section]?.[key];
    if (userValue !== undefined) {
      result[section] = { ...result[section], [key]: userValue };
    }
    if (result[section] && Object.keys(result[section]).length === 0) {
      delete result[section];
    }
  }
  return { config: result as AcaConfig, ignored };
}

export function parseConfig(text: string, file: string): AcaConfig {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    throw new PlanError([
      {
        severity: 'error',
        code: 'config-syntax',
        message: `not valid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        file,
        ...(line ? { line } : {}),
      },
    ]);
  }
  const unsafe = untrustedDataProblems(data, file, 'config');
  if (unsafe.length > 0) {
    throw new PlanError(unsafe);
  }
  const result = configSchema.safeParse(data);
  if (!result.success) {
    throw new PlanError(
      result.error.issues.map((issue) => ({ severity: 'error' as const, code: 'config-invalid', message: issue.message, file, field: fieldPath(issue.path) })),
    );
  }
  return result.data;
}
