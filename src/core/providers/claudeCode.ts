/**
 * The Claude Code CLI as a provider: `claude -p` with the prompt on stdin, `--output-format stream-json
 * --verbose`, a session id chosen by ACA (known before the first event), `--resume` to continue. Facts in
 * ../shared/protocols/claude-code.md. Success is `result.is_error === false`, never the exit code.
 */
import { execa } from 'execa';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { claudeProtectedPathRules } from '../agent/protectedPaths';
import { isUsageLimitMessage, kindFromStatus, parseResetTime, type FailureInfo } from './failures';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  IdleWatch,
  NO_USAGE,
  spawnFailure,
  summarizeToolInput,
  type AgentProvider,
  type Detection,
  type ProviderEvent,
  type ProviderResult,
  type TaskRun,
  type TokenUsage,
} from './provider';

export interface ClaudeCodeOptions {
  readonly executable: string;
  readonly model?: string;
  /** `acceptEdits` by default: edits inside the task folder; other tools per the allowed list. */
  readonly permissionMode?: 'default' | 'acceptEdits' | 'plan' | 'dontAsk';
  /** Default: SAFE_ALLOWED_TOOLS. */
  readonly allowedTools?: readonly string[];
  /** Default: DENIED_TOOLS. The protected paths (protectedPaths.ts) are denied whatever this says. */
  readonly disallowedTools?: readonly string[];
  readonly appendSystemPrompt?: string;
  readonly maxTurns?: number;
  /** Extra environment for the CLI (tests point it at a scripted server). */
  readonly env?: Readonly<Record<string, string>>;
  /** A run that prints nothing for this long is ended (a stalled stream is never ended by the CLI). */
  readonly idleTimeoutMs?: number;
}

/**
 * Allowed without asking on top of `acceptEdits` (edits inside the task folder): the commands an agent needs
 * to build and test its own work, and read-only git. Anything else a task needs is for the user to allow.
 */
export const SAFE_ALLOWED_TOOLS: readonly string[] = [
  'Bash(npm test:*)',
  'Bash(npm run build:*)',
  'Bash(npm run test:*)',
  'Bash(npm run lint:*)',
  'Bash(npx tsc:*)',
  'Bash(pytest:*)',
  'Bash(python3 -m pytest:*)',
  'Bash(cargo build:*)',
  'Bash(cargo test:*)',
  'Bash(go build:*)',
  'Bash(go test:*)',
  'Bash(make:*)',
  'Bash(git status:*)',
  'Bash(git diff:*)',
  'Bash(git log:*)',
];

/** Never, whatever else is allowed: publishing, history rewriting, privilege, network fetches. */
export const DENIED_TOOLS: readonly string[] = [
  'Bash(git push:*)',
  'Bash(git reset --hard:*)',
  'Bash(sudo:*)',
  'Bash(curl:*)',
  'Bash(wget:*)',
  'Bash(npm publish:*)',
];

// Lenient shapes: unknown fields and unknown event types pass (the CLI adds them often).
const initEvent = z.object({ type: z.literal('system'), subtype: z.literal('init'), session_id: z.string(), model: z.string().optional() });
const retryEvent = z.object({
  type: z.literal('system'),
  subtype: z.literal('api_retry'),
  attempt: z.number(),
  retry_delay_ms: z.number().optional(),
  error_status: z.number().nullable().optional(),
});
const rateLimitEvent = z.object({
  type: z.literal('rate_limit_event'),
  rate_limit_info: z.object({ status: z.string(), resetsAt: z.number().optional() }).passthrough(),
});
const contentBlock = z.object({
  type: z.string(),
  id: z.string().optional(),
  text: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
});
const toolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  is_error: z.boolean().optional(),
  content: z.unknown().optional(),
});
const assistantEvent = z.object({ type: z.literal('assistant'), message: z.object({ content: z.array(contentBlock) }) });
const userEvent = z.object({
  type: z.literal('user'),
  message: z.object({ content: z.union([z.string(), z.array(z.unknown())]) }).optional(),
  tool_use_result: z.object({ type: z.string().optional(), filePath: z.string().optional() }).passthrough().optional(),
});
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
  usage: z
    .object({ input_tokens: z.number().optional(), output_tokens: z.number().optional(), cache_read_input_tokens: z.number().optional() })
    .passthrough()
    .optional(),
  modelUsage: z.record(z.string(), z.object({ contextWindow: z.number().optional() }).passthrough()).optional(),
  permission_denials: z.array(z.object({ tool_name: z.string(), tool_input: z.unknown().optional() })).optional(),
  /** What went wrong, for results without a `result` text (e.g. "No conversation found with session ID …"). */
  errors: z.array(z.unknown()).optional(),
});

const CANCEL_GRACE_MS = 5000;

export class ClaudeCodeProvider implements AgentProvider {
  readonly name = 'claude-code' as const;
  readonly loginHint = 'Run "claude login" in a terminal, or set ANTHROPIC_API_KEY.';

  constructor(private readonly _options: ClaudeCodeOptions) {}

  async detect(): Promise<Detection> {
    const version = await execa(this._options.executable, ['--version'], { reject: false, stdin: 'ignore', timeout: 15_000, env: { ...this._options.env } });
    if (version.failed && (version as { code?: string }).code === 'ENOENT') {
      return {
        installed: false,
        fix: `Install Claude Code (npm install -g @anthropic-ai/claude-code) or set "aca.claudeCode.path"; "${this._options.executable}" was not found.`,
      };
    }
    if (version.exitCode !== 0) {
      return { installed: false, fix: `"${this._options.executable} --version" failed: ${String(version.stderr).trim().slice(0, 200)}` };
    }
    const auth = await execa(this._options.executable, ['auth', 'status'], { reject: false, stdin: 'ignore', timeout: 15_000, env: { ...this._options.env } });
    // `claude auth status` prints {"loggedIn": …}; an API key in the environment works without a login.
    const status = z.object({ loggedIn: z.boolean() }).safeParse(parseLine(String(auth.stdout).trim()));
    const fromEnv = (key: string): boolean => Boolean(this._options.env?.[key] ?? process.env[key]);
    const apiKey = fromEnv('ANTHROPIC_API_KEY') || fromEnv('CLAUDE_CODE_OAUTH_TOKEN');
    const authenticated = apiKey || (status.success ? status.data.loggedIn : undefined);
    const help = String(
      (await execa(this._options.executable, ['--help'], { reject: false, stdin: 'ignore', timeout: 15_000, env: { ...this._options.env } })).stdout,
    );
    return {
      installed: true,
      version: String(version.stdout).trim().split(' ')[0] ?? '',
      capabilities: {
        streaming: help.includes('stream-json'),
        resume: help.includes('--resume'),
        structuredOutput: help.includes('--json-schema'),
        toolUse: help.includes('--allowedTools'),
        costReporting: true,
      },
      ...(authenticated !== undefined ? { authenticated } : {}),
      ...(authenticated === false ? { fix: this.loginHint } : {}),
    };
  }

  /**
   * Runs one task through `claude -p --output-format stream-json`. Over 80 lines: the process, its idle
   * watch, the stream's events and the final result share the state of one run; it is covered end to end
   * by the agents tests against the real CLI.
   */
  async *run(task: TaskRun): AsyncGenerator<ProviderEvent, ProviderResult> {
    const started = Date.now();
    // A stored id comes from a file in the folder: only a UUID is passed on, as one `--opt=value` argument.
    const resumeId = task.resumeSessionId !== undefined && isClaudeSessionId(task.resumeSessionId) ? task.resumeSessionId : undefined;
    if (task.resumeSessionId !== undefined && !resumeId) {
      yield {
        type: 'error',
        message: `the stored Claude Code session id ${JSON.stringify(task.resumeSessionId.slice(0, 80))} is not a UUID: it was ignored and the task starts a new session`,
      };
    }
    const sessionId = resumeId ?? randomUUID();
    const args = [
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      resumeId ? `--resume=${resumeId}` : `--session-id=${sessionId}`,
      '--permission-mode',
      this._options.permissionMode ?? 'acceptEdits',
      ...(this._options.model ? ['--model', this._options.model] : []),
      ...listFlag('--allowedTools', this._options.allowedTools ?? SAFE_ALLOWED_TOOLS),
      ...listFlag('--disallowedTools', [...(this._options.disallowedTools ?? DENIED_TOOLS), ...claudeProtectedPathRules()]),
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
    let limitResetsAt: number | undefined;
    /** Bash calls waiting for their result, by tool-use id: the result carries the exit status. */
    const pendingCommands = new Map<string, string>();
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
        yield {
          type: 'retry',
          attempt: retry.data.attempt,
          ...(retry.data.error_status ? { status: retry.data.error_status } : {}),
          ...(retry.data.retry_delay_ms !== undefined ? { delayMs: retry.data.retry_delay_ms } : {}),
        };
        continue;
      }
      const limit = rateLimitEvent.safeParse(data);
      if (limit.success) {
        const resetsAt = limit.data.rate_limit_info.resetsAt !== undefined ? limit.data.rate_limit_info.resetsAt * 1000 : undefined;
        if (limit.data.rate_limit_info.status === 'rejected') {
          limitResetsAt = resetsAt;
        }
        yield { type: 'rate_limit', status: limit.data.rate_limit_info.status, ...(resetsAt !== undefined ? { resetsAt } : {}) };
        continue;
      }
      const assistant = assistantEvent.safeParse(data);
      if (assistant.success) {
        for (const block of assistant.data.message.content) {
          if (block.type === 'text' && block.text) {
            yield { type: 'text', text: block.text };
          } else if (block.type === 'tool_use' && block.name) {
            yield { type: 'tool', name: block.name, summary: summarizeToolInput(block.input) };
            const command = (block.input as { command?: unknown } | undefined)?.command;
            if (block.name === 'Bash' && block.id && typeof command === 'string') {
              pendingCommands.set(block.id, command);
            }
          }
        }
        continue;
      }
      const user = userEvent.safeParse(data);
      if (user.success) {
        for (const item of Array.isArray(user.data.message?.content) ? user.data.message.content : []) {
          const toolResult = toolResultBlock.safeParse(item);
          const command = toolResult.success ? pendingCommands.get(toolResult.data.tool_use_id) : undefined;
          if (toolResult.success && command !== undefined) {
            pendingCommands.delete(toolResult.data.tool_use_id);
            yield { type: 'command', command, exitCode: toolResult.data.is_error ? exitCodeOf(toolResult.data.content) : 0 };
          }
        }
        if (user.data.tool_use_result?.filePath) {
          yield { type: 'file_change', path: user.data.tool_use_result.filePath, kind: user.data.tool_use_result.type ?? 'update' };
        }
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
      const notStarted = spawnFailure(this._options.executable, exited);
      const [why, kind]: [string, FailureInfo['kind']] = notStarted
        ? [notStarted, 'not-installed']
        : idle.fired && !task.signal?.aborted
          ? [idle.describe('Claude Code'), 'network']
          : exited.isCanceled
            ? ['cancelled', 'cancelled']
            : [`exited ${exited.exitCode ?? exited.signal} without a result: ${String(exited.stderr).trim().slice(-300)}`, 'killed'];
      yield { type: 'error', message: why };
      return { success: false, message: why, sessionId, usage, durationMs, failure: { kind } };
    }
    // Stopped by ACA (idle) or by the user: Claude still writes a result on SIGINT, but this is the cause.
    const stoppedBy = idle.fired && !task.signal?.aborted ? idle.describe('Claude Code') : task.signal?.aborted ? 'cancelled' : undefined;
    if (stoppedBy) {
      yield { type: 'error', message: stoppedBy };
    }
    const errors = (result.errors ?? []).map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ');
    const message = stoppedBy ?? result.result ?? (errors ? `${result.subtype}: ${errors}` : result.subtype);
    const failure: FailureInfo | undefined = stoppedBy
      ? { kind: task.signal?.aborted ? 'cancelled' : 'network' }
      : result.is_error
        ? classifyClaudeResult(result, message, limitResetsAt, Date.now())
        : undefined;
    return {
      success: !failure,
      message,
      ...(failure ? { failure } : {}),
      sessionId: result.session_id ?? sessionId,
      usage,
      ...(result.total_cost_usd !== undefined ? { costUsd: result.total_cost_usd } : {}),
      ...contextWindowOf(result),
      durationMs: result.duration_ms ?? durationMs,
    };
  }
}

/** Claude Code's session ids are UUIDs (`--session-id` requires one). */
export function isClaudeSessionId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

function listFlag(flag: string, values: readonly string[]): string[] {
  return values.length > 0 ? [flag, values.join(',')] : [];
}

/** A failed Bash result starts with "Exit code N"; a denied or interrupted one has no code. */
function exitCodeOf(content: unknown): number | null {
  const text = typeof content === 'string' ? content : JSON.stringify(content ?? '');
  const code = /Exit code (\d+)/.exec(text)?.[1];
  return code !== undefined ? Number(code) : null;
}

function contextWindowOf(result: z.infer<typeof claudeResultSchema>): { contextWindow?: number } {
  const windows = Object.values(result.modelUsage ?? {}).flatMap((m) => (m.contextWindow ? [m.contextWindow] : []));
  return windows.length > 0 ? { contextWindow: Math.max(...windows) } : {};
}

/** Claude Code's failures by `api_error_status` and its result text (protocols/claude-code.md). */
export function classifyClaudeResult(result: z.infer<typeof claudeResultSchema>, message: string, limitResetsAt: number | undefined, now: number): FailureInfo {
  const status = result.api_error_status ?? undefined;
  if (limitResetsAt !== undefined || isUsageLimitMessage(message)) {
    const resetsAt = limitResetsAt ?? parseResetTime(message, now);
    return { kind: 'usage-limit', ...(status ? { status } : {}), ...(resetsAt !== undefined ? { resetsAt } : {}) };
  }
  if (/not logged in|invalid api key|failed to authenticate|\/login/i.test(message)) {
    return { kind: 'auth', ...(status ? { status } : {}) };
  }
  const byStatus = kindFromStatus(status);
  if (byStatus && status) {
    return { kind: byStatus, status };
  }
  if (result.subtype.startsWith('error_')) {
    return { kind: 'agent' }; // max turns, an error during the agent's own work
  }
  // `subtype: "success"` with `is_error` is a failed API call without a status: "API Error: Failed to
  // parse JSON", "Request timed out", a connection closed.
  return { kind: 'network' };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined; // not an event (a warning line); the stream goes on
  }
}
