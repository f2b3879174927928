/** `aca trust [DIR]`, `--list`, `--remove`: the folders whose own aca.toml may choose programs, URLs and commands. */
import path from 'node:path';
import type { Command } from 'commander';
import { readTrustedFolders, trustFolder, TrustError, trustStorePath, untrustFolder } from '../../core/config/trust';
import { CliExit, EXIT_BAD_INPUT, WHY_TRUST, type CliIo } from '../cliIo';

type TrustOptions = { list?: boolean; remove?: boolean };

export function registerTrust(program: Command, io: CliIo): void {
  program
    .command('trust')
    .description(
      'trust a folder: its aca.toml (or .aca/config.toml) may then choose the programs ACA runs, where API keys go, extra CLI configuration and what agents do unasked. Kept in ~/.aca/trusted-folders.json; ~/.aca/config.toml is always trusted',
    )
    .argument('[DIR]', 'the folder (default: the current folder)')
    .option('--list', 'list the trusted folders')
    .option('--remove', 'stop trusting the folder')
    .action(async (dir: string | undefined, options: TrustOptions) => trustCommand(dir, options, io));
}

async function trustCommand(dir: string | undefined, options: TrustOptions, io: CliIo): Promise<void> {
  if (options.list) {
    const folders = await readTrustedFolders(io.home);
    io.out(folders.length ? folders.map((f) => `${f}\n`).join('') : `No trusted folders (${trustStorePath(io.home)}).\n`);
    return;
  }
  const folder = path.resolve(io.cwd, dir ?? '.');
  if (options.remove) {
    const removed = await untrustFolder(folder, io.home);
    io.out(removed ? `No longer trusted: ${folder}\n` : `${folder} was not trusted.\n`);
    return;
  }
  const real = await trustFolder(folder, io.home).catch((error: unknown) => {
    throw TrustError.is(error) ? new CliExit(EXIT_BAD_INPUT, `aca trust: ${error.message}`) : error;
  });
  io.out(`Trusted ${real}: its aca.toml and .aca/config.toml are used in full (${WHY_TRUST}).\n`);
}
