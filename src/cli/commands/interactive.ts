/** `aca interactive`: a prompt loop, each line a task the agent does at once (see ../interactive.ts). */
import type { Command } from 'commander';
import { CliExit, EXIT_OK, loadCliConfig, sessionPlacesOf, type CliIo, type SessionFlags } from '../cliIo';
import { interactive } from '../interactive';
import { addGlobalOptions, CONFIG_HELP, SESSION_DIR_HELP } from '../options';

type InteractiveOptions = SessionFlags & { config?: string; provider?: string; model?: string; trustWorkspace?: boolean };

export function registerInteractive(program: Command, io: CliIo): void {
  const command = program
    .command('interactive')
    .description('a prompt loop: each line you type is a task the agent does at once, in a new session (status, help, quit)')
    .option('-w, --workspace <DIR>', 'workspace folder (default: the current folder)')
    .option('-c, --config <CONFIG>', CONFIG_HELP)
    .option('--session-dir <DIR>', SESSION_DIR_HELP);
  addGlobalOptions(command);
  command.action(async (_options: unknown, self: Command) => {
    const options = self.optsWithGlobals<InteractiveOptions>();
    const { workspace, root } = await sessionPlacesOf(options, io, { project: false });
    const config = await loadCliConfig(io, options, true);
    const code = await interactive(root, workspace, config, options, { err: io.err, env: io.env, input: io.input ?? process.stdin });
    if (code !== EXIT_OK) {
      throw new CliExit(code, 'aca interactive: ended');
    }
  });
}
