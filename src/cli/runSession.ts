/** Running (or going on with) a session folder to its end: shared by `aca run` and `aca resume`. */
import { RunSettingsError } from '../core/app/runSettings';
import type { SessionOptions } from '../core/app/sessions';
import type { AcaConfig } from '../core/config/config';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../core/session/sessions';
import { SessionWriter } from '../core/session/sessionStore';
import { CliExit, EXIT_BAD_INPUT, EXIT_OK, type CliIo } from './cliIo';
import { executeSession, type ExecuteOptions } from './execute';

/** `[checkpoints] keep, max_age_days` in aca.toml. */
export function retentionOf(config: AcaConfig): RetentionPolicy {
  return { maxCount: config.checkpoints?.keep ?? DEFAULT_RETENTION.maxCount, maxAgeDays: config.checkpoints?.max_age_days ?? DEFAULT_RETENTION.maxAgeDays };
}

/** `[sessions] sync_every` and the retention of aca.toml, as the app's session options. */
export function sessionOptionsOf(config: AcaConfig): SessionOptions {
  return { ...writerOptions(config), retention: retentionOf(config) };
}

function writerOptions(config: AcaConfig): { syncEvery?: number } {
  return config.sessions?.sync_every ? { syncEvery: config.sessions.sync_every } : {};
}

/** Runs (or goes on with) a session and ends with the engine's exit code. */
export async function runSessionDir(dir: string, workspace: string, config: AcaConfig, options: ExecuteOptions, io: CliIo): Promise<void> {
  const { writer, loaded } = await SessionWriter.resume(dir, writerOptions(config));
  let code: number;
  try {
    if (loaded.interrupted.length > 0) {
      io.err(`Interrupted tasks continue where they were: ${loaded.interrupted.join(', ')}\n`);
    }
    code = (
      await executeSession(writer, workspace, config, options, io).catch((error: unknown) => {
        throw RunSettingsError.is(error) ? new CliExit(EXIT_BAD_INPUT, `aca: ${error.message}`) : error;
      })
    ).code;
  } finally {
    await writer.close();
  }
  if (code !== EXIT_OK) {
    throw new CliExit(code, code === 130 ? 'aca: interrupted; the session is paused' : 'aca: not every task is done');
  }
}
