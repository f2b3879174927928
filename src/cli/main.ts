import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json';

/** Builds the `aca` program; exported so tests can run it in-process. */
export function createProgram(): Command {
  return new Command('aca')
    .description(
      'Automatic Coding Agent: turn a tasks file into a plan and run it with coding agents, headless.\n' +
        'The same core as the VS Code extension.',
    )
    .version(packageJson.version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run "aca --help" for usage)');
}

/** Exit codes: 0 ok, 2 bad input (usage errors included), 1 anything else. */
export const EXIT_BAD_INPUT = 2;

export function runCli(argv: readonly string[]): number {
  const program = createProgram().exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are commander's way to stop early; they are successes.
      return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2));
}
