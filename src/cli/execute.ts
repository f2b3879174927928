/**
 * `aca run` and `aca resume` carry a session to the end with the engine: progress lines on stderr (or JSON
 * events on stdout with --json), a final table, and the exit code: 0 all done, 1 something failed, blocked
 * or was cancelled, 130 interrupted by Ctrl-C (the session is paused cleanly; `aca resume --latest` goes on).
 */
import type { AcaConfig } from '../core/config/config';
import { Engine, type Budgets, type FailurePolicy, type RunSummary } from '../core/engine/engine';
import { createDispatcher, isProviderName, providerChain } from '../core/providers/factory';
import { PROVIDER_NAMES, type ProviderName } from '../core/providers/provider';
import type { SessionWriter } from '../core/session/sessionStore';
import { formatDuration, progressReport } from '../core/session/progress';
import { forecastRun } from '../core/engine/forecast';
import { formatRunCommands, previewRunCommands } from '../core/engine/runPreview';
import { taskFileSnapshots } from '../core/workspace/fileCheckpoints';
import type { CommandDecision } from '../core/agent/workspaceTools';

export const EXIT_INTERRUPTED = 130;

export interface ExecuteOptions {
  provider?: string;
  model?: string;
  concurrency?: string;
  maxAttempts?: string;
  failurePolicy?: string;
  includeOptional?: boolean;
  writeBack?: boolean;
  verify?: string[];
  maxCost?: string;
  maxTokens?: string;
  maxMinutes?: string;
  taskMaxCost?: string;
  taskMaxTokens?: string;
  taskMaxMinutes?: string;
  json?: boolean;
  verbose?: boolean;
  retryFailed?: boolean;
  yes?: boolean;
}

export interface ExecuteIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Asks on the terminal; absent when there is none (then nothing is asked). */
  readonly ask?: (question: string) => Promise<string>;
  /** stderr is a terminal: keep a live status line under the progress lines. */
  readonly live?: boolean;
}

/** A bad option value: the caller turns it into exit 2. */
export class ExecuteOptionError extends Error {}

function positive(name: string, value: string | undefined, integer = true): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    throw new ExecuteOptionError(`${name} ${value}: expected a positive ${integer ? 'whole ' : ''}number`);
  }
  return number;
}

/** Why the aca command cannot run with this provider, or undefined when it can. */
export function cliProviderProblem(provider: string): string | undefined {
  if (provider === 'vscode-lm') {
    return "--provider vscode-lm: the language models of VS Code (e.g. Copilot's) are only reachable from the ACA extension; use anthropic, openai or local-model here";
  }
  return isProviderName(provider) ? undefined : `--provider ${provider}: use one of ${PROVIDER_NAMES.filter((name) => name !== 'vscode-lm').join(', ')}`;
}

export async function executeSession(writer: SessionWriter, workspace: string, config: AcaConfig, options: ExecuteOptions, io: ExecuteIo): Promise<{ code: number; summary: RunSummary }> {
  const provider = options.provider ?? config.provider ?? 'claude-code';
  const problem = cliProviderProblem(provider);
  if (problem) {
    throw new ExecuteOptionError(problem);
  }
  const policies: FailurePolicy[] = ['stop', 'skip-dependents', 'continue'];
  if (options.failurePolicy && !policies.includes(options.failurePolicy as FailurePolicy)) {
    throw new ExecuteOptionError(`--failure-policy ${options.failurePolicy}: use ${policies.join(', ')}`);
  }
  const concurrency = positive('--concurrency', options.concurrency);
  const maxAttempts = positive('--max-attempts', options.maxAttempts);
  const budgets: Budgets = {
    ...(options.maxCost ? { costUsd: positive('--max-cost', options.maxCost, false)! } : {}),
    ...(options.maxTokens ? { tokens: positive('--max-tokens', options.maxTokens)! } : {}),
    ...(options.maxMinutes ? { wallMs: positive('--max-minutes', options.maxMinutes, false)! * 60_000 } : {}),
    ...(options.taskMaxCost ? { taskCostUsd: positive('--task-max-cost', options.taskMaxCost, false)! } : {}),
    ...(options.taskMaxTokens ? { taskTokens: positive('--task-max-tokens', options.taskMaxTokens)! } : {}),
    ...(options.taskMaxMinutes ? { taskWallMs: positive('--task-max-minutes', options.taskMaxMinutes, false)! * 60_000 } : {}),
  };
  const dispatcher = createDispatcher(config, {
    provider: provider as ProviderName,
    ...(options.model ?? config.model ? { model: (options.model ?? config.model)! } : {}),
    environment: {
      ...(io.env['ACA_CLAUDE_PATH'] ? { claudePath: io.env['ACA_CLAUDE_PATH'] } : {}),
      ...(io.env['ACA_CODEX_PATH'] ? { codexPath: io.env['ACA_CODEX_PATH'] } : {}),
      // Keys and base URLs of the model APIs are read from this environment.
      env: Object.fromEntries(Object.entries(io.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
      // ACA's own agent loop: a command off the allowlist is asked about on a terminal; denied under --yes or without one.
      ...(io.ask && !options.yes ? { askCommand: async (command: string, reason?: string) => askCommandOnTerminal(io.ask!, command, reason) } : {}),
    },
  });
  const files = await taskFileSnapshots(workspace, writer.dir, writer.state.sessionId);
  if (files.problem) {
    io.err(`warning: ${files.problem}\n`);
  }
  const engine = new Engine({
    writer,
    agent: dispatcher,
    workspace,
    ...(files.snapshots ? { fileSnapshots: files.snapshots } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(maxAttempts ? { maxAttempts } : {}),
    ...(options.failurePolicy ? { failurePolicy: options.failurePolicy as FailurePolicy } : {}),
    ...(options.verify?.length ? { defaultVerify: options.verify } : {}),
    includeOptional: Boolean(options.includeOptional),
    writeBack: Boolean(options.writeBack),
    budgets,
  });
  if (options.retryFailed) {
    for (const [id, run] of Object.entries(writer.state.tasks)) {
      if (run.state === 'failed' || run.state === 'blocked' || run.state === 'cancelled') {
        await writer.append({ type: 'task_reset', taskId: id });
      }
    }
  }
  const model = options.model ?? config.model;
  const forecast = forecastRun(writer.state.plan, writer.state, { ...(model ? { model } : {}), concurrency: concurrency ?? writer.state.plan.strategy.maxConcurrent, ...(config.prices ? { prices: config.prices } : {}) });
  io.err(
    `Forecast: ${forecast.tasks} task${forecast.tasks === 1 ? '' : 's'} with ${provider}${model ? ` (${model})` : ''}: about ${Math.round((forecast.inputTokens + forecast.outputTokens) / 1000)}k tokens${forecast.costUsd !== undefined ? `, ~$${forecast.costUsd.toFixed(2)}` : ''}, ~${formatDuration(forecast.minutes * 60_000)} (a rough estimate from complexity)\n`,
  );
  if (io.ask && !options.yes && forecast.tasks > 0) {
    const commands = previewRunCommands(writer.state.plan, writer.state, { chain: providerChain(provider as ProviderName, config.fallback), config, ...(options.verify?.length ? { defaultVerify: options.verify } : {}) });
    io.err(`${formatRunCommands(commands).join('\n')}\n`);
    const answer = (await io.ask(`Run ${forecast.tasks} task${forecast.tasks === 1 ? '' : 's'}? [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      io.err(`Nothing was run. The session is kept: aca resume ${writer.state.sessionId}\n`);
      return { code: 1, summary: { outcome: 'paused', counts: emptyCounts(), reason: 'not confirmed' } };
    }
  }
  const titles = new Map(writer.state.plan.tasks.map((t) => [t.id, t.title]));
  engine.onEvent((event) => {
    if (options.json) {
      if (event.type === 'journal') {
        io.out(`${JSON.stringify({ type: event.event.type, seq: event.state.seq, ...withoutPlan(event.event) })}\n`);
      } else if (event.type === 'agent') {
        io.out(`${JSON.stringify({ type: 'agent', taskId: event.taskId, event: event.event })}\n`);
      }
    }
    const line = describe(event, titles, options.verbose, concurrency ?? writer.state.plan.strategy.maxConcurrent);
    if (line) {
      print(`${line}\n`);
    }
  });
  // On a terminal, a status line stays under the progress lines and is redrawn every second.
  const started = Date.now();
  const statusLine = (): string => {
    const p = progressReport(writer.state, concurrency ?? writer.state.plan.strategy.maxConcurrent);
    return `⏳ ${p.done}/${p.total} done · ${p.running} running · ${p.failed} failed · ${formatDuration(Date.now() - started)}${p.etaMs !== undefined ? ` · ETA ${formatDuration(p.etaMs)}` : ''}`;
  };
  const print = (text: string): void => io.err(io.live ? `\r\x1b[K${text}${statusLine()}` : text);
  const ticker = io.live ? setInterval(() => io.err(`\r\x1b[K${statusLine()}`), 1000) : undefined;
  ticker?.unref();
  // The first Ctrl-C pauses cleanly. The agents' CLIs may pass the signal on to the process group, so a
  // repeat within two seconds is theirs; a later one is the user insisting: exit at once.
  let firstSigint = 0;
  const onSigint = (): void => {
    if (firstSigint === 0) {
      firstSigint = Date.now();
      io.err('\nCtrl-C: stopping the agents and pausing the session (aca resume --latest continues it; Ctrl-C again to quit at once)…\n');
      engine.stop('interrupted by Ctrl-C');
    } else if (Date.now() - firstSigint > 2000) {
      io.err('aca: quit at once; interrupted tasks continue on resume\n');
      process.exit(EXIT_INTERRUPTED);
    }
  };
  process.on('SIGINT', onSigint);
  let summary: RunSummary;
  try {
    summary = await engine.run();
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  clearInterval(ticker);
  if (io.live) {
    io.err('\r\x1b[K');
  }
  io.err(`\n${table(writer)}\n`);
  const elapsed = ((Date.now() - started) / 1000).toFixed(1);
  const counts = summary.counts;
  io.err(`${counts.done} done, ${counts.failed} failed, ${counts.blocked} blocked, ${counts.skipped} skipped, ${counts.cancelled} cancelled, ${counts.pending + counts.interrupted} not run, in ${elapsed} s\n`);
  if (summary.outcome === 'paused') {
    io.err(`Paused: ${summary.reason}. Continue with: aca resume ${writer.state.sessionId}\n`);
    return { code: summary.reason === 'interrupted by Ctrl-C' ? EXIT_INTERRUPTED : 1, summary };
  }
  return { code: summary.outcome === 'done' ? 0 : 1, summary };
}

/** Plans are large: the JSON stream names them instead of repeating them. */
function withoutPlan(event: object): object {
  return 'plan' in event ? { ...event, plan: '(omitted)' } : event;
}

function describe(event: Parameters<Parameters<Engine['onEvent']>[0]>[0], titles: ReadonlyMap<string, string>, verbose: boolean | undefined, concurrency: number): string | undefined {
  if (event.type === 'warning') {
    return `warning: ${event.message}`;
  }
  if (event.type === 'transcript') {
    return undefined; // --verbose prints the agent's events as they come
  }
  if (event.type === 'agent') {
    const e = event.event;
    switch (e.type) {
      case 'retrying':
        return `  ${event.taskId}: ${e.provider} failed (${e.reason}); retry ${e.attempt} in ${Math.round(e.delayMs / 1000)} s`;
      case 'parked':
        return `  ${event.taskId}: ${e.provider} is out until ${new Date(e.until).toLocaleString()} (${e.reason}); the task waits`;
      case 'fallback':
        return `  ${event.taskId}: continuing on ${e.to} (${e.from}: ${e.reason})`;
      case 'agent':
        if (verbose && (e.event.type === 'text' || e.event.type === 'tool' || e.event.type === 'command')) {
          const what = e.event.type === 'text' ? e.event.text : e.event.type === 'tool' ? `${e.event.name} ${e.event.summary}` : `$ ${e.event.command} → ${e.event.exitCode}`;
          return `  ${event.taskId} │ ${what.replace(/\s+/g, ' ').slice(0, 200)}`;
        }
        if (e.event.type === 'permission_denied') {
          return `  ${event.taskId}: ${e.provider} was denied ${e.event.tool} ${e.event.summary}`;
        }
        return undefined;
      default:
        return undefined;
    }
  }
  const e = event.event;
  const title = 'taskId' in e ? `${e.taskId} ${titles.get(e.taskId) ?? ''}`.trim() : '';
  switch (e.type) {
    case 'task_started':
      return `▶ ${title}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'task_verifying':
      return `  ${e.taskId}: verifying`;
    case 'task_done': {
      const progress = progressReport(event.state, concurrency);
      return `✔ ${title}  [${progress.done}/${progress.total}${progress.etaMs !== undefined ? ` · ETA ${formatDuration(progress.etaMs)}` : ''}]`;
    }
    case 'task_failed':
      return `${e.retryable ? '↻' : '✘'} ${title}: ${e.error.split('\n')[0]}${e.retryable ? ' — retrying' : ''}`;
    case 'task_blocked':
      return `⊘ ${title}: blocked, ${e.reason}`;
    case 'task_skipped':
      return `- ${title}: skipped (${e.reason})`;
    case 'task_cancelled':
      return `✘ ${title}: cancelled`;
    case 'task_interrupted':
      return `⏸ ${title}: ${e.reason}`;
    default:
      return undefined;
  }
}

function emptyCounts(): RunSummary['counts'] {
  return { pending: 0, running: 0, verifying: 0, done: 0, failed: 0, blocked: 0, skipped: 0, cancelled: 0, interrupted: 0 };
}

function table(writer: SessionWriter): string {
  const rows = writer.state.plan.tasks.map((task) => {
    const run = writer.state.tasks[task.id]!;
    return [task.id, task.title.slice(0, 48), run.state, String(run.attempts), run.durationMs !== undefined ? formatDuration(run.durationMs) : '-', String(run.inputTokens + run.outputTokens), run.costUsd > 0 ? `$${run.costUsd.toFixed(4)}` : '-'];
  });
  const header = ['id', 'task', 'status', 'attempts', 'time', 'tokens', 'cost'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (row: string[]): string => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}

async function askCommandOnTerminal(ask: (question: string) => Promise<string>, command: string, reason?: string): Promise<CommandDecision> {
  const answer = (await ask(`The agent wants to run: ${command}${reason ? `\n(asked because ${reason})` : ''}\nAllow it? [y]es / [a]lways in this run / [N]o `)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes' ? 'allow' : answer === 'a' || answer === 'always' ? 'allow-session' : 'deny';
}
