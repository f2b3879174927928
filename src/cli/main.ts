/**
 * The `aca` command: a thin adapter over src/core/app. Each command lives in ./commands/ and turns its
 * flags into app calls and their results into output; this file builds the program and maps errors to
 * exit codes.
 */
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json';
import { RunSettingsError } from '../core/app/runSettings';
import { UnsafeWriteError } from '../core/common/safeWrite';
import { PlanError } from '../core/model/problems';
import { AnalysisError } from '../core/plan/analyze';
import { ProviderError } from '../core/providers/errors';
import { SessionError } from '../core/session/sessionStore';
import { CliExit, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, processIo, type CliIo } from './cliIo';
import { registerCheckpoint } from './commands/checkpoint';
import { registerInteractive } from './commands/interactive';
import { registerResume } from './commands/resume';
import { registerRun } from './commands/run';
import { registerShowConfig } from './commands/showConfig';
import { registerTrust } from './commands/trust';
import { globalOptions } from './options';

export { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, type CliIo } from './cliIo';

/** Builds the `aca` program; exported so tests can run it in-process. */
export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('aca')
    .description('Automatic Coding Agent: turn a tasks file into a plan and run it with coding agents, headless.\nThe same core as the VS Code extension.')
    .version(packageJson.version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run "aca --help" for usage)')
    // Before the subcommands are added, so that they inherit it: commander never calls process.exit.
    .exitOverride();
  for (const option of globalOptions()) {
    program.addOption(option);
  }
  registerRun(program, io);
  registerCheckpoint(program, io);
  registerResume(program, io);
  registerInteractive(program, io);
  registerShowConfig(program, io);
  registerTrust(program, io);
  return program;
}

/** The message and exit code of an error the commands end with, or undefined for an unexpected one. */
function exitOf(error: unknown): { message?: string; code: number } | undefined {
  if (error instanceof CommanderError) {
    // Help and version "errors" are commander's way to stop early; they are successes.
    return { code: error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT };
  }
  if (error instanceof CliExit) {
    return { message: error.message, code: error.code };
  }
  if (PlanError.is(error)) {
    return { message: `${error.message}\naca: the input is invalid; nothing was run`, code: EXIT_BAD_INPUT };
  }
  if (RunSettingsError.is(error)) {
    return { message: `aca: ${error.message}`, code: EXIT_BAD_INPUT };
  }
  if (AnalysisError.is(error)) {
    return { message: error.message, code: EXIT_FAILURE };
  }
  if (SessionError.is(error)) {
    return { message: `aca: ${error.message}`, code: error.failure === 'locked' || error.failure === 'future-version' ? EXIT_FAILURE : EXIT_BAD_INPUT };
  }
  if (ProviderError.is(error) || UnsafeWriteError.is(error)) {
    return { message: `aca: ${error.message}`, code: EXIT_FAILURE };
  }
  return undefined;
}

export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    const exit = exitOf(error);
    if (!exit) {
      throw error;
    }
    if (exit.message !== undefined) {
      io.err(`${exit.message}\n`);
    }
    return exit.code;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`aca: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
