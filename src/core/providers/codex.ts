/**
 * The OpenAI Codex CLI as a provider: `codex exec --json` with stdin closed (an open stdin blocks it),
 * `--cd` the task's folder, `exec … resume <thread>` to continue. It reuses the user's ~/.codex login and
 * configuration. Facts in ../shared/protocols/codex.md. Usage is cumulative per thread: differences are taken.
 */
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import * as z from 'zod';
import { isUsageLimitMessage, parseResetTime, type FailureInfo, type FailureKind } from './failures';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  IdleWatch,
  NO_USAGE,
  PRICES_PER_MILLION,
  priceOf,
  type Price,
  spawnFailure,
  type AgentProvider,
  type Detection,
  type ProviderEvent,
  type ProviderResult,
  type TaskRun,
  type TokenUsage,
} from './provider';

export interface CodexOptions {
  readonly executable: string;
  readonly model?: string;
  readonly profile?: string;
  /** `-c key=value` overrides. */
  readonly config?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Codex can wait forever before the first byte: ACA ends a run that prints nothing for this long. */
  readonly idleTimeoutMs?: number;
  /** Prices over ACA's table (Codex reports tokens only). */
  readonly prices?: Readonly<Record<string, Price>>;
}

const threadStarted = z.object({ type: z.literal('thread.started'), thread_id: z.string() });
const itemCompleted = z.object({
  type: z.literal('item.completed'),
  item: z
    .object({
      type: z.string(),
      text: z.string().optional(),
      command: z.string().optional(),
      exit_code: z.number().nullable().optional(),
      changes: z.array(z.object({ path: z.string(), kind: z.string() })).optional(),
    })
    .passthrough(),
});
const turnCompleted = z.object({
  type: z.literal('turn.completed'),
  usage: z.object({ input_tokens: z.number(), cached_input_tokens: z.number().optional(), output_tokens: z.number() }).passthrough(),
});
const turnFailed = z.object({ type: z.literal('turn.failed'), error: z.object({ message: z.string() }).passthrough() });
const errorEvent = z.object({ type: z.literal('error'), message: z.string() });

/** Prompts longer than this go on stdin. */
const ARGV_PROMPT_LIMIT = 32 * 1024;

export class CodexProvider implements AgentProvider {
  readonly name = 'openai-codex' as const;
  readonly loginHint = 'Run "codex login" in a terminal (or set CODEX_API_KEY).';

  constructor(private readonly _options: CodexOptions) {}

  async detect(): Promise<Detection> {
    const env = { ...this._options.env };
    const version = await execa(this._options.executable, ['--version'], { reject: false, stdin: 'ignore', timeout: 15_000, env });
    if (version.failed && (version as { code?: string }).code === 'ENOENT') {
      return { installed: false, fix: `Install the Codex CLI (npm install -g @openai/codex) or set its path; "${this._options.executable}" was not found.` };
    }
    // Codex never fails fast when logged out (it loops on reconnects): this check is what tells. A custom
    // model provider (Azure, a local server) has its own key and no login: then its env_key decides.
    const custom = await this._customModelProvider();
    const fromEnv = (key: string): string | undefined => this._options.env?.[key] ?? process.env[key];
    let authenticated: boolean;
    let fix = this.loginHint;
    if (custom) {
      authenticated = !custom.envKey || Boolean(fromEnv(custom.envKey));
      fix = `Set ${custom.envKey} for the "${custom.id}" model provider of your Codex configuration.`;
    } else {
      const login = await execa(this._options.executable, ['login', 'status'], { reject: false, stdin: 'ignore', timeout: 15_000, env });
      authenticated = login.exitCode === 0 || Boolean(fromEnv('CODEX_API_KEY'));
    }
    const help = String((await execa(this._options.executable, ['exec', '--help'], { reject: false, stdin: 'ignore', timeout: 15_000, env })).stdout);
    return {
      installed: version.exitCode === 0,
      capabilities: {
        streaming: help.includes('--json'),
        resume: /\bresume\b/.test(help),
        structuredOutput: help.includes('--output-schema'),
        toolUse: true,
        costReporting: false,
      },
      version: String(version.stdout)
        .trim()
        .replace(/^codex-cli\s+/, ''),
      authenticated,
      ...(authenticated ? {} : { fix }),
    };
  }

  /** The model provider Codex will use when it is not OpenAI's own, from -c overrides, the profile or config.toml. */
  private async _customModelProvider(): Promise<{ id: string; envKey?: string } | undefined> {
    const fromEnv = (key: string): string | undefined => this._options.env?.[key] ?? process.env[key];
    const home = fromEnv('CODEX_HOME') ?? path.join(fromEnv('HOME') ?? os.homedir(), '.codex');
    let config: Record<string, unknown> = {};
    try {
      config = parseToml(await readFile(path.join(home, 'config.toml'), 'utf8')) as Record<string, unknown>;
    } catch {
      // no configuration (or one Codex itself will complain about): OpenAI's provider and its login
    }
    const override = (this._options.config ?? [])
      .find((c) => c.startsWith('model_provider='))
      ?.split('=')[1]
      ?.replace(/^"|"$/g, '');
    const profiles = (config['profiles'] ?? {}) as Record<string, Record<string, unknown>>;
    const profile = this._options.profile ?? (typeof config['profile'] === 'string' ? config['profile'] : undefined);
    const id = override ?? (profile ? profiles[profile]?.['model_provider'] : undefined) ?? config['model_provider'];
    if (typeof id !== 'string' || id === 'openai') {
      return undefined;
    }
    const providers = (config['model_providers'] ?? {}) as Record<string, Record<string, unknown>>;
    const envKey = providers[id]?.['env_key'];
    return { id, ...(typeof envKey === 'string' ? { envKey } : {}) };
  }

  /**
   * Runs one task through `codex exec --json`. Over 80 lines: the process, its idle watch, the JSON events
   * and the final result share the state of one run; it is covered end to end by the agents tests against
   * the real CLI.
   */
  async *run(task: TaskRun): AsyncGenerator<ProviderEvent, ProviderResult> {
    const started = Date.now();
    const options = [
      '--json',
      '--skip-git-repo-check',
      '--sandbox',
      'workspace-write',
      '--cd',
      task.cwd,
      ...(this._options.model ? ['-m', this._options.model] : []),
      ...(this._options.profile ? ['--profile', this._options.profile] : []),
      ...(this._options.config ?? []).flatMap((c) => ['-c', c]),
    ];
    // The prompt is one argument of an argv vector, or — when long (Linux caps one argument at 128 KiB) —
    // `-` and the prompt on stdin, which is then closed (an open stdin would block Codex). No shell either way.
    const viaStdin = Buffer.byteLength(task.prompt) > ARGV_PROMPT_LIMIT;
    const promptArg = viaStdin ? '-' : task.prompt;
    // A stored thread id comes from a file in the folder: only a UUID is passed on. `--` ends the options,
    // so neither it nor a prompt that starts with `-` can be read as a flag of Codex.
    const resumeId = task.resumeSessionId !== undefined && isCodexThreadId(task.resumeSessionId) ? task.resumeSessionId : undefined;
    if (task.resumeSessionId !== undefined && !resumeId) {
      yield {
        type: 'error',
        message: `the stored Codex thread id ${JSON.stringify(task.resumeSessionId.slice(0, 80))} is not a UUID: it was ignored and the task starts a new thread`,
      };
    }
    const args = resumeId ? ['exec', ...options, 'resume', '--', resumeId, promptArg] : ['exec', ...options, '--', promptArg];
    const idle = new IdleWatch(this._options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, task.signal);
    const child = execa(this._options.executable, args, {
      cwd: task.cwd,
      env: { ...this._options.env },
      ...(viaStdin ? { input: task.prompt } : { stdin: 'ignore' as const }),
      reject: false,
      cancelSignal: idle.signal,
      killSignal: 'SIGINT',
      forceKillAfterDelay: 5000,
    });

    let sessionId = resumeId;
    let message = '';
    let failure: string | undefined;
    let total: TokenUsage | undefined;
    for await (const line of child.iterable({ from: 'stdout' })) {
      idle.touch();
      let data: unknown;
      try {
        data = JSON.parse(String(line));
      } catch {
        continue; // not an event (a log line): the stream goes on
      }
      const thread = threadStarted.safeParse(data);
      if (thread.success) {
        sessionId = thread.data.thread_id;
        yield { type: 'session', sessionId, ...(this._options.model ? { model: this._options.model } : {}) };
        continue;
      }
      const item = itemCompleted.safeParse(data);
      if (item.success) {
        const it = item.data.item;
        if (it.type === 'agent_message' && it.text) {
          message = it.text;
          yield { type: 'text', text: it.text };
        } else if (it.type === 'command_execution' && it.command) {
          yield { type: 'command', command: it.command, exitCode: it.exit_code ?? null };
        } else if (it.type === 'file_change') {
          for (const change of it.changes ?? []) {
            yield { type: 'file_change', path: change.path, kind: change.kind };
          }
        }
        continue;
      }
      const turn = turnCompleted.safeParse(data);
      if (turn.success) {
        total = {
          inputTokens: turn.data.usage.input_tokens,
          outputTokens: turn.data.usage.output_tokens,
          cachedTokens: turn.data.usage.cached_input_tokens ?? 0,
        };
        continue;
      }
      const failed = turnFailed.safeParse(data);
      if (failed.success) {
        failure = failed.data.error.message;
        continue;
      }
      const error = errorEvent.safeParse(data);
      if (error.success) {
        yield { type: 'error', message: error.data.message };
      }
    }
    idle.dispose();
    const exited = await child;
    const before = resumeId ? (task.usageBefore ?? NO_USAGE) : NO_USAGE;
    const usage: TokenUsage = total
      ? {
          inputTokens: total.inputTokens - before.inputTokens,
          outputTokens: total.outputTokens - before.outputTokens,
          cachedTokens: total.cachedTokens - before.cachedTokens,
        }
      : NO_USAGE;
    if (total) {
      yield { type: 'usage', usage };
    }
    const durationMs = Date.now() - started;
    const cost = priceOf(this._options.model, usage, { ...PRICES_PER_MILLION, ...this._options.prices });
    const notStarted = spawnFailure(this._options.executable, exited);
    let kind: FailureKind | undefined = failure ? undefined : 'agent';
    if (notStarted) {
      [failure, kind] = [notStarted, 'not-installed'];
    } else if (idle.fired && !task.signal?.aborted) {
      [failure, kind] = [idle.describe('Codex'), 'network'];
    } else if (exited.isCanceled) {
      [failure, kind] = ['cancelled', 'cancelled'];
    } else if (!failure && exited.exitCode !== 0) {
      [failure, kind] = [`exited ${exited.exitCode ?? exited.signal}: ${String(exited.stderr).trim().slice(-300)}`, 'killed'];
    }
    const failureInfo: FailureInfo | undefined = failure ? (kind && kind !== 'agent' ? { kind } : classifyCodexFailure(failure, Date.now())) : undefined;
    if (failure) {
      yield { type: 'error', message: failure };
    }
    return {
      success: !failure,
      message: failure ?? message,
      ...(failureInfo ? { failure: failureInfo } : {}),
      ...(sessionId ? { sessionId } : {}),
      usage,
      ...(cost !== undefined ? { costUsd: cost } : {}),
      durationMs,
    };
  }
}

/** Codex's thread ids are UUIDs (`thread.started`; `exec resume` also takes a thread name, which ACA never stores). */
export function isCodexThreadId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

/** Codex's failures by the text of its `turn.failed` (it reports no status field; protocols/codex.md). */
export function classifyCodexFailure(message: string, now: number): FailureInfo {
  if (isUsageLimitMessage(message)) {
    const resetsAt = parseResetTime(message, now);
    return { kind: 'usage-limit', status: 429, ...(resetsAt !== undefined ? { resetsAt } : {}) };
  }
  const status = /\b(4\d\d|5\d\d)\b/.exec(message)?.[1];
  if (/\b40[13]\b|unauthorized|forbidden|not logged in|missing environment variable|api key/i.test(message)) {
    return { kind: 'auth', ...(status ? { status: Number(status) } : {}) };
  }
  if (/\b429\b|too many requests/i.test(message)) {
    return { kind: 'rate-limit', status: 429 };
  }
  if (/\b5\d\d\b|high demand|overloaded/i.test(message)) {
    return { kind: 'server', ...(status ? { status: Number(status) } : {}) };
  }
  if (/stream disconnected|error sending request|connection|timed? ?out|reconnecting/i.test(message)) {
    return { kind: 'network' };
  }
  if (status && Number(status) >= 400) {
    return { kind: 'bad-request', status: Number(status) };
  }
  return { kind: 'agent' };
}
