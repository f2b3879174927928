/**
 * What a run will execute besides the agents' own edits, said before it starts: the verify commands (they come
 * from the plan, which comes from a file of the repository) and, per provider of the chain, what its agent may
 * run without asking. The run confirmation of the extension and of `aca run` shows these lines.
 */
import { describeAllowlist } from '../agent/commandPolicy';
import type { AcaConfig } from '../config/config';
import type { Plan } from '../model/plan';
import { SAFE_ALLOWED_TOOLS } from '../providers/claudeCode';
import { DEFAULT_ALLOWED_COMMANDS } from '../providers/factory';
import type { ProviderName } from '../providers/provider';
import type { SessionState } from '../session/events';
import { waitingTasks } from './forecast';

export interface RunCommandsPreview {
  /** Each verify command once, with the tasks that run it after their agent ends. */
  readonly verify: ReadonlyArray<{ readonly command: string; readonly taskIds: readonly string[] }>;
  /** Per provider of the chain: what its agent runs without asking anyone. */
  readonly unasked: ReadonlyArray<{ readonly provider: ProviderName; readonly rule: string }>;
}

export interface RunCommandsOptions {
  /** The provider chain: the main provider, then the fallbacks. */
  readonly chain: readonly ProviderName[];
  readonly config?: AcaConfig;
  /** Run for a task that has no verify of its own (`aca.run.verify`, `--verify`). */
  readonly defaultVerify?: readonly string[];
  /** Claude Code's allow rules when they come from elsewhere than aca.toml (VS Code has no setting for them). */
  readonly claudeAllowedTools?: readonly string[];
}

export function previewRunCommands(plan: Plan, state: SessionState | undefined, options: RunCommandsOptions): RunCommandsPreview {
  const byCommand = new Map<string, string[]>();
  for (const task of waitingTasks(plan, state)) {
    const commands = task.verify.length > 0 ? task.verify : (options.defaultVerify ?? []);
    for (const command of commands) {
      byCommand.set(command, [...(byCommand.get(command) ?? []), task.id]);
    }
  }
  const config = options.config ?? {};
  const unasked = [...new Set(options.chain)].map((provider) => ({ provider, rule: unaskedRule(provider, config, options.claudeAllowedTools) }));
  return { verify: [...byCommand].map(([command, taskIds]) => ({ command, taskIds })), unasked };
}

function unaskedRule(provider: ProviderName, config: AcaConfig, claudeAllowedTools: readonly string[] | undefined): string {
  switch (provider) {
    case 'claude-code': {
      const allowed = config.claude_code?.allowed_tools ?? claudeAllowedTools ?? SAFE_ALLOWED_TOOLS;
      const bash = allowed.filter((rule) => rule.startsWith('Bash(')).map((rule) => rule.slice(5, -1).replace(/:\*$/, ' …'));
      const mode = config.claude_code?.permission_mode ?? 'acceptEdits';
      return `${bash.length ? bash.join(', ') : 'no command'}; file edits (${mode})`;
    }
    case 'openai-codex':
      return "any command inside Codex's workspace-write sandbox (no network, writes only in the folder)";
    case 'vscode-lm':
    case 'anthropic':
    case 'openai':
    case 'local-model': {
      const allowed = describeAllowlist(config.agent?.allowed_commands ?? DEFAULT_ALLOWED_COMMANDS);
      return `${allowed.length ? allowed.join(', ') : 'no command'}, without a shell or secrets in the environment`;
    }
  }
}

/** The preview as lines for a confirmation: verify commands first (they run whatever the agent does). */
export function formatRunCommands(preview: RunCommandsPreview, maxVerify = 12): string[] {
  const lines: string[] = [];
  if (preview.verify.length === 0) {
    lines.push('Verify commands: none.');
  } else {
    lines.push('Verify commands (run after each task, without a shell):');
    for (const { command, taskIds } of preview.verify.slice(0, maxVerify)) {
      lines.push(`  ${command}  (${taskIds.length > 4 ? `${taskIds.slice(0, 4).join(', ')} and ${taskIds.length - 4} more` : taskIds.join(', ')})`);
    }
    if (preview.verify.length > maxVerify) {
      lines.push(`  … ${preview.verify.length - maxVerify} more`);
    }
  }
  lines.push('Run without asking:');
  for (const { provider, rule } of preview.unasked) {
    lines.push(`  ${provider}: ${rule}`);
  }
  return lines;
}
