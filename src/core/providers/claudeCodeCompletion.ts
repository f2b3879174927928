/**
 * One-shot completions through the Claude Code CLI, for plan analysis: `claude -p` with the prompt on
 * stdin (never through a shell, never limited by the argument-length cap), `--json-schema` for structured
 * output, and `--permission-mode plan` with every writing tool disallowed, so it can never change files.
 */
import { execa } from 'execa';
import type { z } from 'zod';
import type { CompletionAnswer, CompletionPort, CompletionRequest } from '../plan/analyze';
import { claudeResultSchema } from './claudeCode';
import { ProviderError } from './errors';

export interface ClaudeCodeCompletionOptions {
  /** The `claude` executable (absolute path or a name on PATH). */
  readonly executable: string;
  readonly model?: string;
  readonly cwd: string;
  /** Extra environment (e.g. ANTHROPIC_BASE_URL); the rest is inherited. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

const WRITING_TOOLS = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Bash'];

export class ClaudeCodeCompletion implements CompletionPort {
  readonly id: string;

  constructor(private readonly _options: ClaudeCodeCompletionOptions) {
    this.id = `claude-code:${_options.model ?? 'default'}`;
  }

  async complete(request: CompletionRequest): Promise<CompletionAnswer> {
    const args = [
      '-p',
      '--output-format',
      'json',
      '--json-schema',
      JSON.stringify(request.schema),
      '--permission-mode',
      'plan',
      '--disallowedTools',
      WRITING_TOOLS.join(','),
      ...(this._options.model ? ['--model', this._options.model] : []),
    ];
    const run = await execa(this._options.executable, args, {
      cwd: this._options.cwd,
      env: { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ...this._options.env },
      input: request.prompt,
      timeout: this._options.timeoutMs ?? 300_000,
      ...(request.signal ? { cancelSignal: request.signal } : {}),
      reject: false,
      stripFinalNewline: true,
    });
    if (run.isCanceled) {
      throw new ProviderError('claude-code', 'cancelled', 'the analysis was cancelled');
    }
    if (run.timedOut) {
      throw new ProviderError('claude-code', 'timed-out', `no answer within ${Math.round((this._options.timeoutMs ?? 300_000) / 1000)} s`);
    }
    if (run.failed && (run as { code?: string }).code === 'ENOENT') {
      throw new ProviderError('claude-code', 'not-found', `cannot run "${this._options.executable}": not found. Install Claude Code or set its path.`);
    }
    const lastLine = run.stdout.trim().split('\n').pop() ?? '';
    let parsed: z.infer<typeof claudeResultSchema>;
    try {
      parsed = claudeResultSchema.parse(JSON.parse(lastLine));
    } catch {
      const detail = (run.stderr || run.stdout).trim().slice(-500);
      throw new ProviderError('claude-code', 'bad-output', `exited ${run.exitCode ?? run.signal} without a result${detail ? `: ${detail}` : ''}`);
    }
    if (parsed.is_error) {
      throw new ProviderError('claude-code', 'failed', parsed.result ?? `failed (${parsed.subtype})`);
    }
    return { ...(parsed.structured_output !== undefined ? { structured: parsed.structured_output } : {}), text: parsed.result ?? '' };
  }
}
