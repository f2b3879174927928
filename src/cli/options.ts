/** The options several `aca` commands share, with their help texts (the CLI tests check them). */
import { Option, type Command } from 'commander';

export const CONFIG_HELP =
  'configuration file (default: ./aca.toml, ./.aca/config.toml, ~/.aca/config.toml; a folder\'s own config needs "aca trust" for programs, base URLs and allowed commands)';
export const SESSION_DIR_HELP = 'where sessions are kept (default: <workspace>/.aca/sessions)';

export function trustWorkspaceOption(): Option {
  return new Option(
    '--trust-workspace',
    "for this run, use the settings of the workspace's aca.toml that need trust (programs to run, base URLs, allowed commands…) as if the folder were trusted (see aca trust)",
  );
}

/** Global options: accepted before or after the subcommand. */
export function globalOptions(): Option[] {
  return [
    new Option(
      '--provider <name>',
      "the coding agent: claude-code, openai-codex, or a model API run by ACA's own agent loop: anthropic, openai, local-model (vscode-lm, the models of VS Code, only in the extension)",
    ),
    new Option('--model <name>', 'model for the provider'),
    trustWorkspaceOption(),
  ];
}

export function addGlobalOptions(command: Command): Command {
  for (const option of globalOptions()) {
    command.addOption(option);
  }
  return command;
}

const collect = (value: string, all: string[]): string[] => [...all, value];

/** How tasks run: shared by `aca run` and `aca resume`. */
export function executionOptions(command: Command): Command {
  return command
    .option('--concurrency <N>', "tasks at once (default: the plan's strategy)")
    .option('--max-attempts <N>', 'attempts per task, verification failures included (default 3)')
    .option('--failure-policy <POLICY>', 'when a task fails: skip-dependents (default), stop, continue')
    .option('--include-optional', 'run optional tasks ([ ]*) too')
    .option('--write-back', 'write task states back to the tasks file as tasks run and finish (checkboxes, spec-kit [X], Task Master status)')
    .option('--verify <COMMAND>', 'a command that must succeed after each task without verify commands of its own (repeatable)', collect, [] as string[])
    .option('--max-cost <USD>', 'pause the run when it has cost this much')
    .option('--max-tokens <N>', 'pause the run when it has used this many tokens')
    .option('--max-minutes <N>', 'pause the run after this long')
    .option('--task-max-cost <USD>', 'fail a task whose attempt costs more than this')
    .option('--task-max-tokens <N>', 'fail a task whose attempt uses more tokens than this')
    .option('--task-max-minutes <N>', 'fail a task whose attempt takes longer than this')
    .option('--json', "write the session's events as JSON lines on stdout (the human output goes to stderr)")
    .option('-y, --yes', 'do not ask for confirmation (only asked in a terminal)');
}

/** Where the session commands look: `-w` and `--session-dir`. */
export function sessionOptions(command: Command): Command {
  return command
    .option('-w, --workspace <DIR>', 'workspace folder (default: the git root of the current folder, else the current folder)')
    .option('--session-dir <DIR>', SESSION_DIR_HELP);
}

export { collect };
