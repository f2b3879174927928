/** `aca checkpoint list | create | resume`: the checkpoints of a workspace's sessions, their state and files. */
import type { Command } from 'commander';
import { sessionRoots } from '../../core/app/sessionPlaces';
import { checkpointNewestSession, findCheckpoint, previewRestore, restoreCheckpoint } from '../../core/app/sessions';
import { sessionOwner } from '../../core/session/owner';
import { listSessions, readCheckpoints } from '../../core/session/sessions';
import { CliExit, EXIT_BAD_INPUT, loadCliConfig, sessionPlacesOf, type CliIo, type SessionFlags } from '../cliIo';
import { sessionOptions } from '../options';
import { sessionOptionsOf } from '../runSession';

type ListFlags = SessionFlags & { allSessions?: boolean };
type ResumeFlags = SessionFlags & { latest?: boolean; yes?: boolean };

export function registerCheckpoint(program: Command, io: CliIo): void {
  const checkpoint = program.command('checkpoint').description('checkpoints of the sessions in a workspace: state and files');
  sessionOptions(checkpoint.command('list').description('list the checkpoints of the newest session (or of all)'))
    .option('--all-sessions', 'list every session of the workspace, newest first')
    .action(async (options: ListFlags) => checkpointList(options, io));
  sessionOptions(checkpoint.command('create').description('checkpoint the newest unfinished session: its state and the workspace files'))
    .argument('<DESC>', 'what the checkpoint is for')
    .action(async (description: string, options: SessionFlags) => checkpointCreate(description, options, io));
  sessionOptions(
    checkpoint
      .command('resume')
      .description('put a session back to a checkpoint: its task states and the workspace files (shows the changes; applies them with --yes)'),
  )
    .argument('[ID]', 'the checkpoint (default with --latest: the newest of any session)')
    .option('--latest', 'the newest checkpoint of any session in the workspace')
    .option('-y, --yes', 'apply the changes shown')
    .action(async (id: string | undefined, options: ResumeFlags) => checkpointResume(id, options, io));
}

async function checkpointList(options: ListFlags, io: CliIo): Promise<void> {
  const { root } = await sessionPlacesOf(options, io);
  const sessions = await listSessions(root);
  if (sessions.length === 0) {
    io.out(`No sessions in ${root}.\n`);
    return;
  }
  for (const session of options.allSessions ? sessions : sessions.slice(0, 1)) {
    const cost = session.costUsd > 0 ? `, $${session.costUsd.toFixed(2)}` : '';
    io.out(
      `Session ${session.id}  "${session.name}"  ${session.done}/${session.total} done${cost}, updated ${session.updated.toISOString()}${session.problem ? `  (unreadable: ${session.problem})` : ''}\n`,
    );
    for (const checkpoint of await readCheckpoints(session.dir)) {
      io.out(
        `  ${checkpoint.id}  ${checkpoint.created}  ${checkpoint.trigger.padEnd(14)} ${checkpoint.fileCommit ? 'state+files' : 'state      '}  ${checkpoint.description}\n`,
      );
    }
  }
}

async function checkpointCreate(description: string, options: SessionFlags, io: CliIo): Promise<void> {
  const { root, places } = await sessionPlacesOf(options, io);
  // Only retention and syncing are read here: nothing that needs trust, so no warning.
  const config = await loadCliConfig(io, {}, false);
  const { session, checkpoint } = await checkpointNewestSession(places, description, { ...sessionOptionsOf(config), owner: await sessionOwner(io.home) });
  if (!session || !checkpoint) {
    throw new CliExit(EXIT_BAD_INPUT, `aca checkpoint create: no unfinished session in ${root}; start one with "aca run <FILE>"`);
  }
  io.out(`Checkpoint ${checkpoint.id} of session ${session.id}: ${description}\n`);
}

async function checkpointResume(id: string | undefined, options: ResumeFlags, io: CliIo): Promise<void> {
  if (!id && !options.latest) {
    throw new CliExit(EXIT_BAD_INPUT, 'aca checkpoint resume: name a checkpoint ID or use --latest');
  }
  const { workspace, root, places } = await sessionPlacesOf(options, io);
  // Every session of the workspace is searched: the newest checkpoint, or the one with this id. Not the
  // sessions of others (one that came with the repository): their checkpoints are theirs to restore.
  const found = await findCheckpoint(sessionRoots(places), id || undefined, { owner: await sessionOwner(io.home) });
  if (!found) {
    throw new CliExit(EXIT_BAD_INPUT, id ? `aca checkpoint resume: no checkpoint ${id} in ${root}` : `aca checkpoint resume: no checkpoint in ${root}`);
  }
  const { checkpoint } = found;
  const preview = await previewRestore(workspace, found);
  io.out(`Checkpoint ${checkpoint.id} (${checkpoint.created}, ${checkpoint.description}) of session ${checkpoint.state.sessionId}:\n`);
  io.out(`  task states: ${Object.values(checkpoint.state.tasks).filter((run) => run.state === 'done').length} done at that point\n`);
  io.out(
    preview.changes.length
      ? preview.changes.map((c) => `  ${c.kind === 'create' ? '+' : c.kind === 'delete' ? '-' : '~'} ${c.path}\n`).join('')
      : '  files: no change\n',
  );
  if (preview.notCovered.length > 0) {
    // Never deleted: the checkpoint did not cover them, so they may have existed then.
    io.out(`  not covered by the checkpoint (ignored or too large then), left as they are:\n${preview.notCovered.map((p) => `  ${p}\n`).join('')}`);
  }
  if (!options.yes) {
    throw new CliExit(EXIT_BAD_INPUT, 'aca checkpoint resume: nothing was changed; run again with --yes to apply');
  }
  await restoreCheckpoint(workspace, found, preview);
  io.out(`Restored. Run the remaining tasks with: aca resume ${checkpoint.state.sessionId}\n`);
}
