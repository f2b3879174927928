/** `aca show-config`: where configuration is looked for, what is used, and which providers can run. */
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../../core/config/config';
import { createProvider } from '../../core/providers/factory';
import type { Detection } from '../../core/providers/provider';
import { PROVIDER_NAMES } from '../../core/model/provider';
import { cliEnvironment, shellWord, WHY_TRUST, type CliIo } from '../cliIo';
import { trustWorkspaceOption } from '../options';

/** How long a provider may take to say whether it is installed and logged in. */
const DETECT_TIMEOUT_MS = 15_000;

export function registerShowConfig(program: Command, io: CliIo): void {
  program
    .command('show-config')
    .description(
      'show where configuration is looked for, which file is used, its values (those of an untrusted folder that need trust are shown as ignored), and which providers can run tasks (and why not the others)',
    )
    .option('-c, --config <CONFIG>', 'a configuration file to use instead of the search')
    .addOption(trustWorkspaceOption())
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ config?: string; trustWorkspace?: boolean }>();
      const loaded = await loadConfig(io.cwd, options.config, io.home, { trustWorkspace: Boolean(options.trustWorkspace) });
      showFiles(loaded, io);
      await showProviders(loaded, io);
    });
}

function showFiles(loaded: LoadedConfig, io: CliIo): void {
  io.out('Configuration files, in the order they are looked for:\n');
  for (const candidate of loaded.candidates) {
    const used = candidate.path === loaded.file;
    io.out(`  ${used ? '*' : candidate.exists ? '+' : '-'} ${candidate.path}${used ? '  (used)' : candidate.exists ? '' : '  (not found)'}\n`);
  }
  io.out(loaded.file ? `Using ${loaded.file}:\n${JSON.stringify(loaded.config, null, 2)}\n` : 'No configuration file found; using defaults.\n');
  if (loaded.untrustedFolder) {
    io.out(
      `Ignored, because ${loaded.untrustedFolder} is not a trusted folder: ${loaded.ignored.join(', ')}\n  ${WHY_TRUST}; to use them: aca trust ${shellWord(loaded.untrustedFolder)} (or --trust-workspace for one run)\n`,
    );
  }
}

async function showProviders(loaded: LoadedConfig, io: CliIo): Promise<void> {
  io.out('Providers:\n');
  const environment = cliEnvironment(io, { withEnv: false });
  const detections = await Promise.all(
    PROVIDER_NAMES.map(async (name) => {
      const detection = await Promise.race([
        createProvider(name, loaded.config, environment).detect(),
        new Promise<Detection>((resolve) => setTimeout(() => resolve({ installed: false, fix: 'no answer within 15 s' }), DETECT_TIMEOUT_MS).unref()),
      ]).catch((error: unknown): Detection => ({ installed: false, fix: String(error) }));
      return { name, detection };
    }),
  );
  for (const { name, detection } of detections) {
    const usable = detection.installed && detection.authenticated !== false && !detection.fix;
    const how = usable
      ? `available${detection.version ? ` (${detection.version})` : ''}`
      : `not available: ${detection.fix ?? (detection.installed ? 'not logged in' : 'not installed')}`;
    io.out(`  ${usable ? '✔' : '✘'} ${name.padEnd(13)} ${how}\n`);
  }
}
