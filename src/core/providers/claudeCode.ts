/**
 * The Claude Code CLI as a provider: `claude -p` with the prompt on stdin, `--output-format stream-json
 * --verbose`, a session id chosen by ACA (known before the first event), `--resume` to continue. Facts in
 * ../shared/protocols/claude-code.md. Success is `result.is_error === false`, never the exit code.
 */
import { execa } from 'execa';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_IDLE_TIMEOUT_MS, IdleWatch, NO_USAGE, spawnFailure, summarizeToolInput, type AgentProvider, type Detection, type ProviderEvent, type ProviderResult, type TaskRun, type TokenUsage } from './provider';

export interface ClaudeCodeOptions {
  readonly executable: string;
  readonly model?: string;
  /** `acceptEdits` by default: edits inside the task folder; other tools per the allowed list. */
  readonly permissionMode?: 'default' | 'acceptEdits' | 'plan' | 'dontAsk';
  readonly allowedTools?: readonly string[];
  readonly appendSystemPrompt?: string;
  readonly maxTurns?: number;
  /** Extra environment for the CLI (tests point it at a scripted server). */
  readonly env?: Readonly<Record<string, string>>;
  /** A run that prints nothing for this long is ended (a stalled stream is never ended by the CLI). */
  readonly idleTimeoutMs?: number;
}

// Lenient shapes: unknown fields and unknown event types pass (the CLI adds them often).
const initEvent = z.object({ type: z.literal('system'), subtype: z.literal('init'), session_id: z.string(), model: z.string().optional() });
const retryEvent = z.object({ type: z.literal('system'), subtype: z.literal('api_retry'), attempt: z.number(), retry_delay_ms: z.number().optional(), error_status: z.number().nullable().optional() });
const contentBlock = z.object({ type: z.string(), text: z.string().optional(), name: z.string().optional(), input: z.unknown().optional() });
const assistantEvent = z.object({ type: z.literal('assistant'), message: z.object({ content: z.array(contentBlock) }) });
const userEvent = z.object({ type: z.literal('user'), tool_use_result: z.object({ type: z.string().optional(), filePath: z.string().optional() }).passthrough().optional() });
/** The final `result` object (also the whole output of `--output-format json`). Success is `is_error: false`. */
export const claudeResultSchema = z.object({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean(),
  result: z.string().optional(),
  session_id: z.string().optional(),
  duration_ms: z.number().optional(),
  total_cost_usd: z.number().optional(),
  structured_output: z.unknown().optional(),
  api_error_status: z.number().nullable().optional(),
  usage: z.object({ input_tokens: z.number().optional(), output_tokens: z.number().optional(), cache_read_input_tokens: z.number().optional() }).passthrough().optional(),
  permission_denials: z.array(z.object({ tool_name: z.string(), tool_input: z.unknown().optional() })).optional(),
});

const CANCEL_GRACE_MS = 5000;

export class ClaudeCodeProvider implements AgentProvider {
  readonly name = 'claude-code' as const;

  constructor(private readonly _options: ClaudeCodeOptions) {}

  async detect(): Promise<Detection> {
    const version = await execa(this._options.executable, ['--version'], { reject: false, stdin: 'ignore', timeout: 15_000, env: { ...this._options.env } });
    if (version.failed && (version as { code?: string }).code === 'ENOENT') {
      return { installed: false, fix: `Install Claude Code (npm install -g @anthropic-ai/claude-code) or set "aca.claudeCode.path"; "${this._options.executable}" was not found.` };
    }
    if (version.exitCode !== 0) {
      return { installed: false, fix: `"${this._options.executable} --version" failed: ${String(version.stderr).trim().slice(0, 200)}` };
    }
    const auth = await execa(this._options.executable, ['auth', 'status'], { reject: false, stdin: 'ignore', timeout: 15_000, env: { ...this._options.env } });
    // `claude auth status` prints {"loggedIn": …}; an API key in the environment works without a login.
    const status = z.object({ loggedIn: z.boolean() }).safeParse(parseLine(String(auth.stdout).trim()));
    const apiKey = Boolean(this._options.env?.['ANTHROPIC_API_KEY'] ?? process.env['ANTHROPIC_API_KEY']);
    const authenticated = apiKey || (status.success ? status.data.loggedIn : undefined);
    return {
      installed: true,
      version: String(version.stdout).trim().split(' ')[0] ?? '',
      ...(authenticated !== undefined ? { authenticated } : {}),
      ...(authenticated === false ? { fix: 'Run "claude login" in a terminal, or set ANTHROPIC_API_KEY.' } : {}),
    };
  }

  async *run(task: TaskRun): AsyncGenerator<ProviderEvent, ProviderResult> {
    const started = Date.now();
    const sessionId = task.resumeSessionId ?? randomUUID();
    const args = [
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      ...(task.resumeSessionId ? ['--resume', task.resumeSessionId] : ['--session-id', sessionId]),
      '--permission-mode',
      this._options.permissionMode ?? 'acceptEdits',
      ...(this._options.model ? ['--model', this._options.model] : []),
      ...(this._options.allowedTools?.length ? ['--allowedTools', this._options.allowedTools.join(',')] : []),
      ...(this._options.appendSystemPrompt ? ['--append-system-prompt', this._options.appendSystemPrompt] : []),
      ...(this._options.maxTurns ? ['--max-turns', String(this._options.maxTurns)] : []),
    ];
    yield { type: 'session', sessionId, ...(this._options.model ? { model: this._options.model } : {}) };
    // The prompt goes on stdin: never through a shell, and no argument-length limit.
    const idle = new IdleWatch(this._options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, task.signal);
    const child = execa(this._options.executable, args, {
      cwd: task.cwd,
      env: { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ...this._options.env },
      input: task.prompt,
      reject: false,
      cancelSignal: idle.signal,
      killSignal: 'SIGINT',
      forceKillAfterDelay: CANCEL_GRACE_MS,
    });
    let result: z.infer<typeof claudeResultSchema> | undefined;
    for await (const line of child.iterable({ from: 'stdout' })) {
      idle.touch();
      const data = parseLine(String(line));
      if (data === undefined) {
        continue;
      }
      const init = initEvent.safeParse(data);
      if (init.success) {
        continue; // the session id is ACA's own, announced above
      }
      const retry = retryEvent.safeParse(data);
      if (retry.success) {
        yield { type: 'retry', attempt: retry.data.attempt, ...(retry.data.error_status ? { status: retry.data.error_status } : {}), ...(retry.data.retry_delay_ms !== undefined ? { delayMs: retry.data.retry_delay_ms } : {}) };
        continue;
      }
      const assistant = assistantEvent.safeParse(data);
      if (assistant.success) {
        for (const block of assistant.data.message.content) {
          if (block.type === 'text' && block.text) {
            yield { type: 'text', text: block.text };
          } else if (block.type === 'tool_use' && block.name) {
            yield { type: 'tool', name: block.name, summary: summarizeToolInput(block.input) };
          }
        }
        continue;
      }
      const user = userEvent.safeParse(data);
      if (user.success && user.data.tool_use_result?.filePath) {
        yield { type: 'file_change', path: user.data.tool_use_result.filePath, kind: user.data.tool_use_result.type ?? 'update' };
        continue;
      }
      const final = claudeResultSchema.safeParse(data);
      if (final.success) {
        result = final.data;
      }
    }
    idle.dispose();
    const exited = await child;
    const usage: TokenUsage = result?.usage
      ? { inputTokens: result.usage.input_tokens ?? 0, outputTokens: result.usage.output_tokens ?? 0, cachedTokens: result.usage.cache_read_input_tokens ?? 0 }
      : NO_USAGE;
    if (result) {
      for (const denial of result.permission_denials ?? []) {
        yield { type: 'permission_denied', tool: denial.tool_name, summary: summarizeToolInput(denial.tool_input) };
      }
      yield { type: 'usage', usage };
    }
    const durationMs = Date.now() - started;
    if (!result) {
      const why =
        spawnFailure(this._options.executable, exited) ??
        (idle.fired && !task.signal?.aborted ? idle.describe('Claude Code') : exited.isCanceled ? 'cancelled' : `exited ${exited.exitCode ?? exited.signal} without a result: ${String(exited.stderr).trim().slice(-300)}`);
      yield { type: 'error', message: why };
      return { success: false, message: why, sessionId, usage, durationMs };
    }
    // Stopped by ACA (idle) or by the user: Claude still writes a result on SIGINT, but this is the cause.
    const stoppedBy = idle.fired && !task.signal?.aborted ? idle.describe('Claude Code') : task.signal?.aborted ? 'cancelled' : undefined;
    if (stoppedBy) {
      yield { type: 'error', message: stoppedBy };
    }
    return {
      success: !result.is_error && !stoppedBy,
      message: stoppedBy ?? result.result ?? result.subtype,
      sessionId: result.session_id ?? sessionId,
      usage,
      ...(result.total_cost_usd !== undefined ? { costUsd: result.total_cost_usd } : {}),
      durationMs: result.duration_ms ?? durationMs,
    };
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined; // not an event (a warning line); the stream goes on
  }
}
