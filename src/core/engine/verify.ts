/**
 * A task's verify commands, run after its agent finishes and without a shell: each command is split into
 * an argument vector (quotes are honoured); shell operators are refused with a message that says so.
 * They are the user's commands, but they run code the agent has just changed (tests, build scripts) and
 * their output goes back to the agent on a retry: so they get the same environment without secrets as the
 * agent's own commands (commandPolicy.ts).
 */
import { execa } from 'execa';
import { commandEnvironment } from '../agent/commandPolicy';
import { splitCommand } from '../common/commandLine';

export interface VerifyResult {
  readonly ok: boolean;
  /** The failing command and the end of its output, for the retry's prompt and the user. */
  readonly report: string;
}

const OUTPUT_TAIL_CHARS = 4000;

export async function runVerify(commands: readonly string[], cwd: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<VerifyResult> {
  for (const command of commands) {
    let argv: string[];
    try {
      argv = splitCommand(command);
    } catch (error) {
      return { ok: false, report: (error as Error).message };
    }
    const [file, ...args] = argv;
    if (file === undefined) {
      return { ok: false, report: 'an empty verify command' }; // splitCommand refuses one first: kept for the types
    }
    const result = await execa(file, args, {
      cwd,
      env: commandEnvironment(),
      extendEnv: false,
      reject: false,
      all: true,
      stdin: 'ignore',
      timeout: options.timeoutMs ?? 600_000,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      forceKillAfterDelay: 3000,
    });
    if (result.failed) {
      const output = String(result.all ?? '').trim();
      const why = result.timedOut ? 'timed out' : result.exitCode !== undefined ? `exited ${result.exitCode}` : (result.shortMessage ?? 'failed');
      const tail = output.length > OUTPUT_TAIL_CHARS ? `…${output.slice(-OUTPUT_TAIL_CHARS)}` : output;
      return { ok: false, report: `\`${command}\` ${why}${tail ? `:\n${tail}` : ''}` };
    }
  }
  return { ok: true, report: '' };
}
