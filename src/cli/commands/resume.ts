/** `aca resume [SESSION_ID]`: find a session, repair what is safe, and run its remaining tasks. */
import type { Command } from 'commander';
import { sessionRoots } from '../../core/app/sessionPlaces';
import { repairSession, sessionToResume } from '../../core/app/sessions';
import { sessionOwner } from '../../core/session/owner';
import { describeSessionRun, type SessionSummary } from '../../core/session/sessions';
import { breakLock, loadSession } from '../../core/session/sessionStore';
import { CliExit, EXIT_BAD_INPUT, loadCliConfig, sessionPlacesOf, type CliIo, type SessionFlags } from '../cliIo';
import type { ExecuteOptions } from '../execute';
import { addGlobalOptions, CONFIG_HELP, executionOptions, sessionOptions } from '../options';
import { runSessionDir } from '../runSession';

type ResumeOptions = SessionFlags & ExecuteOptions & { config?: string; trustWorkspace?: boolean; resumeForeign?: boolean; forceUnlock?: boolean };

export function registerResume(program: Command, io: CliIo): void {
  const resume = executionOptions(
    sessionOptions(
      program
        .command('resume')
        .description(
          'find a session (by id, or the newest unfinished one), repair what is safe, and run its remaining tasks; interrupted tasks continue their agent conversation',
        ),
    )
      .argument('[SESSION_ID]', 'the session (a prefix is enough)')
      .option('--latest', 'the newest unfinished session of the workspace (the default)')
      .option('--retry-failed', 'run failed, blocked and cancelled tasks again')
      .option(
        '--resume-foreign',
        "resume a session not created by you in this folder (another machine or user, or one that came with the repository) without asking: it runs that session's tasks and verify commands",
      )
      .option(
        '--force-unlock',
        "take the session's lock even if another process seems to hold it (if that process still runs, both write the session and damage it)",
      )
      .option('-c, --config <CONFIG>', CONFIG_HELP),
  );
  addGlobalOptions(resume);
  resume.action(async (id: string | undefined, _options: unknown, command: Command) => resumeSession(id, command.optsWithGlobals<ResumeOptions>(), io));
}

async function resumeSession(id: string | undefined, options: ResumeOptions, io: CliIo): Promise<void> {
  const { workspace, root, places } = await sessionPlacesOf(options, io);
  const owner = await sessionOwner(io.home);
  const session = await chooseSession(sessionRoots(places), id || undefined, root, owner, io);
  io.err(`Session ${session.id} "${session.name}": ${session.done}/${session.total} done\n`);
  // Asked first: a session the user declines keeps its lock.
  if (session.foreign) {
    await confirmForeignSession(session.dir, session.id, options, io);
  }
  if (options.forceUnlock) {
    const holder = await breakLock(session.dir);
    if (holder) {
      io.err(`warning: took the lock of ${holder}; if that process still runs, both write the session and damage it\n`);
    }
  }
  const config = await loadCliConfig(io, options, true, workspace);
  // Chosen once, a session from elsewhere is the user's from now on.
  const repairs = await repairSession(session.dir, session.foreign ? { adopt: owner } : {});
  for (const repair of repairs) {
    io.err(`  repaired: ${repair.what}${repair.keptAt ? ` (kept at ${repair.keptAt})` : ''}\n`);
  }
  await runSessionDir(session.dir, workspace, config, options, io);
}

/** The session named (a prefix is enough), else the newest unfinished one of the user's; says which it passed over. */
async function chooseSession(
  roots: readonly string[],
  id: string | undefined,
  root: string,
  owner: Awaited<ReturnType<typeof sessionOwner>>,
  io: CliIo,
): Promise<SessionSummary> {
  const { session, skippedForeign } = await sessionToResume(roots, id, { owner });
  if (skippedForeign.length > 0) {
    // A session that is not the user's (a repository can bring one) is never picked without being named.
    const count = skippedForeign.length;
    io.err(
      `aca resume: skipped ${count} unfinished session${count === 1 ? '' : 's'} from another machine or user (or that came with the repository): ${skippedForeign.map((s) => s.id).join(', ')}; "aca resume <id>" shows what one would run\n`,
    );
  }
  if (!session) {
    throw new CliExit(
      EXIT_BAD_INPUT,
      id !== undefined ? `aca resume: no session ${id} in ${root}` : `aca resume: no unfinished session${skippedForeign.length ? ' of yours' : ''} in ${root}`,
    );
  }
  return session;
}

/** Shows what a session that is not the user's would run; goes on only when the user says so. */
async function confirmForeignSession(dir: string, id: string, options: ResumeOptions, io: CliIo): Promise<void> {
  const { state } = await loadSession(dir);
  io.err(
    `Session ${id} was not created by you on this machine (another machine or user, an older ACA, or it came with the repository). Resuming it runs:\n${describeSessionRun(state).join('\n')}\n`,
  );
  if (options.resumeForeign) {
    return;
  }
  // --yes does not answer this: it is for the usual confirmations of one's own runs.
  if (!io.ask) {
    throw new CliExit(EXIT_BAD_INPUT, 'aca resume: nothing was run; answer on a terminal, or pass --resume-foreign to resume this session');
  }
  const answer = (await io.ask('Resume this session and run what is listed above? [y/N] ')).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') {
    throw new CliExit(EXIT_BAD_INPUT, 'aca resume: not confirmed; nothing was run');
  }
}
