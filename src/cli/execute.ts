/**
 * `aca run` and `aca resume` carry a session to the end with the engine: progress lines on stderr (or JSON
 * events on stdout with --json), a final table, and the exit code: 0 all done, 1 something failed, blocked
 * or was cancelled, 130 interrupted by Ctrl-C (the session is paused cleanly; `aca resume --latest` goes on).
 */
import { prepareRun } from '../core/app/run';
import { validateRunSettings, type RunSettings } from '../core/app/runSettings';
import type { AcaConfig } from '../core/config/config';
import type { CommandDecision } from '../core/agent/workspaceTools';
import type { Engine, RunSummary } from '../core/engine/engine';
import { forecastRun } from '../core/engine/forecast';
import { formatRunCommands, previewRunCommands } from '../core/engine/runPreview';
import { providerChain } from '../core/providers/factory';
import { formatDuration, progressReport } from '../core/session/progress';
import type { SessionWriter } from '../core/session/sessionStore';
import { cliEnvironment, EXIT_INTERRUPTED, type CliIo } from './cliIo';
import { countsLine, describeEvent, emptyCounts, jsonLine, runTable } from './runOutput';

export { EXIT_INTERRUPTED };

/** The flags of `aca run` and `aca resume` that say how tasks run. */
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

export type ExecuteIo = Pick<CliIo, 'out' | 'err' | 'env' | 'ask' | 'live'>;

/** Flags over aca.toml, checked once by the app (a RunSettingsError names the flag). */
export function runSettingsOf(options: ExecuteOptions, config: AcaConfig): RunSettings {
  const { provider = config.provider, model = config.model, ...rest } = options;
  return validateRunSettings({ ...rest, ...(provider !== undefined ? { provider } : {}), ...(model !== undefined ? { model } : {}) });
}

export async function executeSession(
  writer: SessionWriter,
  workspace: string,
  config: AcaConfig,
  options: ExecuteOptions,
  io: ExecuteIo,
): Promise<{ code: number; summary: RunSummary }> {
  const settings = runSettingsOf(options, config);
  const { ask } = io;
  const { engine } = await prepareRun(writer, settings, {
    workspace,
    config,
    environment: {
      ...cliEnvironment(io),
      // ACA's own agent loop: a command off the allowlist is asked about on a terminal; denied under --yes or without one.
      ...(ask && !options.yes ? { askCommand: async (command: string, reason?: string) => askCommandOnTerminal(ask, command, reason) } : {}),
    },
    warn: (message) => io.err(`warning: ${message}\n`),
  });
  if (!(await confirmRun(writer, settings, config, options, io))) {
    io.err(`Nothing was run. The session is kept: aca resume ${writer.state.sessionId}\n`);
    return { code: 1, summary: { outcome: 'paused', counts: emptyCounts(), reason: 'not confirmed' } };
  }
  const concurrency = settings.concurrency ?? writer.state.plan.strategy.maxConcurrent;
  const started = Date.now();
  const output = liveOutput(writer, concurrency, started, io);
  const titles = new Map(writer.state.plan.tasks.map((t) => [t.id, t.title]));
  engine.onEvent((event) => {
    const json = options.json ? jsonLine(event) : undefined;
    if (json !== undefined) {
      io.out(`${json}\n`);
    }
    const line = describeEvent(event, titles, options.verbose, concurrency);
    if (line) {
      output.print(`${line}\n`);
    }
  });
  const summary = await runUntilCtrlC(engine, io);
  output.stop();
  io.err(`\n${runTable(writer.state)}\n`);
  io.err(`${countsLine(summary, Date.now() - started)}\n`);
  if (summary.outcome === 'paused') {
    io.err(`Paused: ${summary.reason}. Continue with: aca resume ${writer.state.sessionId}\n`);
    return { code: summary.reason === 'interrupted by Ctrl-C' ? EXIT_INTERRUPTED : 1, summary };
  }
  return { code: summary.outcome === 'done' ? 0 : 1, summary };
}

/** Prints the forecast; on a terminal without --yes, shows the commands the run may run and asks. */
async function confirmRun(writer: SessionWriter, settings: RunSettings, config: AcaConfig, options: ExecuteOptions, io: ExecuteIo): Promise<boolean> {
  const { provider, model } = settings;
  const forecast = forecastRun(writer.state.plan, writer.state, {
    ...(model ? { model } : {}),
    concurrency: settings.concurrency ?? writer.state.plan.strategy.maxConcurrent,
    ...(config.prices ? { prices: config.prices } : {}),
  });
  const tasks = `${forecast.tasks} task${forecast.tasks === 1 ? '' : 's'}`;
  io.err(
    `Forecast: ${tasks} with ${provider}${model ? ` (${model})` : ''}: about ${Math.round((forecast.inputTokens + forecast.outputTokens) / 1000)}k tokens${forecast.costUsd !== undefined ? `, ~$${forecast.costUsd.toFixed(2)}` : ''}, ~${formatDuration(forecast.minutes * 60_000)} (a rough estimate from complexity)\n`,
  );
  if (!io.ask || options.yes || forecast.tasks === 0) {
    return true;
  }
  const commands = previewRunCommands(writer.state.plan, writer.state, {
    chain: providerChain(provider, config.fallback),
    config,
    ...(settings.verify.length ? { defaultVerify: [...settings.verify] } : {}),
  });
  io.err(`${formatRunCommands(commands).join('\n')}\n`);
  const answer = (await io.ask(`Run ${tasks}? [y/N] `)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}

/** On a terminal, a status line stays under the progress lines and is redrawn every second. */
function liveOutput(writer: SessionWriter, concurrency: number, started: number, io: ExecuteIo): { print: (text: string) => void; stop: () => void } {
  const statusLine = (): string => {
    const p = progressReport(writer.state, concurrency);
    return `⏳ ${p.done}/${p.total} done · ${p.running} running · ${p.failed} failed · ${formatDuration(Date.now() - started)}${p.etaMs !== undefined ? ` · ETA ${formatDuration(p.etaMs)}` : ''}`;
  };
  const ticker = io.live ? setInterval(() => io.err(`\r\x1b[K${statusLine()}`), 1000) : undefined;
  ticker?.unref();
  return {
    print: (text) => io.err(io.live ? `\r\x1b[K${text}${statusLine()}` : text),
    stop: () => {
      clearInterval(ticker);
      if (io.live) {
        io.err('\r\x1b[K');
      }
    },
  };
}

/**
 * Runs the engine. The first Ctrl-C pauses cleanly. The agents' CLIs may pass the signal on to the process
 * group, so a repeat within two seconds is theirs; a later one is the user insisting: exit at once.
 */
async function runUntilCtrlC(engine: Engine, io: ExecuteIo): Promise<RunSummary> {
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
  try {
    return await engine.run();
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

async function askCommandOnTerminal(ask: (question: string) => Promise<string>, command: string, reason?: string): Promise<CommandDecision> {
  const answer = (await ask(`The agent wants to run: ${command}${reason ? `\n(asked because ${reason})` : ''}\nAllow it? [y]es / [a]lways in this run / [N]o `))
    .trim()
    .toLowerCase();
  return answer === 'y' || answer === 'yes' ? 'allow' : answer === 'a' || answer === 'always' ? 'allow-session' : 'deny';
}
