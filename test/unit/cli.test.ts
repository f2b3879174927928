import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import packageJson from '../../package.json';
import { EXIT_BAD_INPUT, EXIT_FAILURE, runCli, type CliIo } from '../../src/cli/main';
import { SHARED_FIXTURES } from '../support/fixtures';
import { makeTempDir } from '../support/processes';

async function aca(args: string[], cwd = SHARED_FIXTURES, home = '/nonexistent-home'): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  // No real agent here: the CLIs point nowhere, so a run fails at once with the install fix (test/agents runs them).
  const io: CliIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    cwd,
    env: { ACA_CLAUDE_PATH: '/nonexistent/claude', ACA_CODEX_PATH: '/nonexistent/codex' },
    home,
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

describe('aca CLI', function () {
  // Runs and checkpoint commands start several git processes each: slow on a busy machine.
  this.timeout(20_000);
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeEach(async () => (tmp = await makeTempDir('cli')));
  afterEach(async () => tmp.cleanup());

  it('prints the package version and help', async () => {
    assert.deepEqual(await aca(['--version']), { code: 0, out: `${packageJson.version}\n`, err: '' });
    const help = await aca(['run', '--help']);
    assert.equal(help.code, 0);
    for (const flag of [
      '-w, --workspace',
      '-c, --config',
      '-v, --verbose',
      '-n, --dry-run',
      '--use-intelligent-parser',
      '--force-naive-parser',
      '--context',
      '--dump-plan',
      '--provider',
      '--model',
    ]) {
      assert.ok(help.out.includes(flag), `run --help lists ${flag}`);
    }
  });

  it('exits 2 on bad usage and says why', async () => {
    const { code, err } = await aca(['--no-such-flag']);
    assert.equal(code, EXIT_BAD_INPUT);
    assert.match(err, /unknown option '--no-such-flag'/);
    const both = await aca(['run', 'kiro/tasks.md', '-n', '--use-intelligent-parser', '--force-naive-parser']);
    assert.equal(both.code, EXIT_BAD_INPUT);
    assert.match(both.err, /exclude each other/);
    const missing = await aca(['run', 'nope.md', '-n']);
    assert.deepEqual([missing.code, missing.err.trim()], [EXIT_BAD_INPUT, 'aca run: cannot read nope.md: no such file']);
  });

  for (const format of ['json', 'TOML']) {
    it(`dry-runs a tasks file, dumps the plan as ${format}, and reloads the same plan`, async () => {
      const dump = path.join(tmp.dir, `plan.${format}`);
      const first = await aca(['run', 'kiro/tasks.md', '--dry-run', '--dump-plan', dump]);
      assert.equal(first.code, 0, first.err);
      assert.match(
        first.out,
        /^Plan "Implementation Plan": 7 tasks \(1 done\), strategy sequential, from kiro\/tasks\.md\nRead as Kiro spec: 6 tasks in 1 group\n {4}✓ 1 {2}Create the unit table\n/,
      );
      assert.match(first.out, / {6}○ 2\.3 {2}Write property tests for round trips between units {2}\[optional\]/);
      const again = path.join(tmp.dir, `again.${format}`);
      const second = await aca(['run', dump, '--dry-run', '--dump-plan', again]);
      assert.equal(second.code, 0, second.err);
      assert.equal(await readFile(again, 'utf8'), await readFile(dump, 'utf8'));
      assert.equal(second.out.split('\n').slice(0, 8).join('\n'), first.out.split('\n').slice(0, 8).join('\n'));
    });
  }

  it("loads a plan in the original tool's format", async () => {
    const seed = path.join(tmp.dir, 'seed.json');
    await writeFile(
      seed,
      JSON.stringify({
        task_specs: [{ title: 'Only task', description: '', metadata: { priority: 'Critical' }, dependencies: [] }],
        execution_mode: 'Sequential',
        metadata: {},
      }),
    );
    const { code, out } = await aca(['run', seed, '-n']);
    assert.equal(code, 0);
    assert.match(out, /○ 1 {2}Only task {2}\[critical\]/);
  });

  it('exits 2 on a dependency cycle or an unknown dependency, naming the ids', async () => {
    const cyclic = path.join(tmp.dir, 'cyclic.json');
    await writeFile(
      cyclic,
      JSON.stringify({
        version: 1,
        name: 'c',
        tasks: [
          { id: 'a', title: 'A', dependsOn: ['b'] },
          { id: 'b', title: 'B', dependsOn: ['a'] },
          { id: 'c', title: 'C', dependsOn: ['zz'] },
        ],
      }),
    );
    const { code, err } = await aca(['run', cyclic, '-n']);
    assert.equal(code, EXIT_BAD_INPUT);
    assert.match(err, /tasks\[2\]\.dependsOn\[0\]: task "c" depends on "zz", which is not a task of this plan/);
    assert.match(err, /tasks\[0\]\.dependsOn: dependency cycle: "a" → "b" → "a"/);
  });

  it('exits 2 with file and line when a tasks file points outside the workspace', async () => {
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] ok\n- [ ] bad -> ../../secret.txt\n');
    const { code, err } = await aca(['run', 'tasks.md', '-n'], tmp.dir);
    assert.equal(code, EXIT_BAD_INPUT);
    assert.match(err, /^tasks\.md:2: task 2 refers to \.\.\/\.\.\/secret\.txt, which is outside the workspace/m);
    assert.ok(err.includes(`the workspace is ${tmp.dir} (the current folder; -w chooses another)`), err);
  });

  it('reads the tasks file of a folder given as FILE and says which; an ambiguous folder lists the candidates', async () => {
    const feature = path.join(tmp.dir, 'specs', '001-albums');
    await mkdir(feature, { recursive: true });
    await writeFile(path.join(feature, 'tasks.md'), '# Tasks\n\n- [ ] T001 Create the album model\n- [ ] T002 Add the album list\n');
    await writeFile(path.join(feature, 'plan.md'), '# Implementation plan\n\n- Use SQLite\n');
    const found = await aca(['run', 'specs/001-albums', '-n'], tmp.dir);
    assert.equal(found.code, 0, found.err);
    assert.match(found.err, /^Found specs\/001-albums\/tasks\.md in specs\/001-albums\n/m);
    assert.match(found.out, /Create the album model/);
    await writeFile(path.join(tmp.dir, 'TODO.md'), '- [ ] One\n');
    await writeFile(path.join(tmp.dir, 'PLAN.md'), '- [ ] Two\n');
    const ambiguous = await aca(['run', '.', '-n'], tmp.dir);
    assert.equal(ambiguous.code, EXIT_BAD_INPUT);
    assert.match(ambiguous.err, /: a folder with 2 tasks files: PLAN\.md, TODO\.md; name the one to read\n/);
  });

  it('without -w, the workspace is the git root of the tasks file, else its folder: run from elsewhere, its neighbours are inside', async () => {
    const project = path.join(tmp.dir, 'project');
    const elsewhere = path.join(tmp.dir, 'elsewhere');
    await mkdir(path.join(project, '.git'), { recursive: true });
    await mkdir(path.join(project, 'docs', 'plan'), { recursive: true });
    await mkdir(elsewhere);
    await writeFile(path.join(project, 'docs', 'spec.md'), '# Spec\n');
    await writeFile(path.join(project, 'docs', 'plan', 'notes.md'), 'notes\n');
    await writeFile(path.join(project, 'docs', 'plan', 'tasks.md'), '- [ ] Read the notes -> notes.md\n- [ ] Follow the spec -> ../spec.md\n');
    const inGit = await aca(['run', '../project/docs/plan/tasks.md', '--dry-run'], elsewhere);
    assert.equal(inGit.code, 0, inGit.err);
    assert.doesNotMatch(inGit.err, /outside the workspace/);
    assert.ok(inGit.err.includes(`Workspace: ${project} (the git root of the tasks file; -w chooses another)`), inGit.err);
    assert.match(inGit.out, /from docs\/plan\/tasks\.md\n/);

    await rm(path.join(project, '.git'), { recursive: true });
    const noGit = await aca(['run', '../project/docs/plan/tasks.md', '--dry-run'], elsewhere);
    assert.equal(noGit.code, EXIT_BAD_INPUT, "without git, ../spec.md is outside the file's folder");
    assert.match(noGit.err, /task 2 refers to \.\.\/spec\.md, which is outside the workspace/);
    assert.ok(noGit.err.includes(`the workspace is ${path.join(project, 'docs', 'plan')} (the tasks file's folder; -w chooses another)`), noGit.err);
    assert.doesNotMatch(noGit.err, /task 1 refers to notes\.md/);
  });

  it('reports near-duplicates, and merges them only with --merge-duplicates', async () => {
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] Write the README file\n- [ ] Write the README file.\n- [ ] Ship\n');
    const report = await aca(['run', 'tasks.md', '-n'], tmp.dir);
    assert.equal(report.code, 0);
    assert.match(report.err, /tasks\.md:2: warning: task 2 looks like task 1 \(similarity 1\); --merge-duplicates merges them/);
    assert.match(report.out, /3 tasks/);
    const merged = await aca(['run', 'tasks.md', '-n', '--merge-duplicates'], tmp.dir);
    assert.match(merged.out, /2 tasks/);
  });

  it('without --dry-run creates a session with a first checkpoint and runs it; a missing agent CLI fails the task with the fix', async () => {
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] One\n- [x] Two\n');
    const run = await aca(['run', 'tasks.md'], tmp.dir);
    assert.equal(run.code, EXIT_FAILURE);
    assert.match(run.err, /Session [0-9a-f-]{36} created in .*\.aca\/sessions\//);
    assert.match(run.err, /✘ 1 One: claude-code: Install Claude Code .*"\/nonexistent\/claude" was not found\./);
    assert.match(run.err, /^1 {3}One {3}failed {2}1 {9}0s {4}0 {7}-$/m, 'the final table');
    assert.match(run.err, /1 done, 1 failed, 0 blocked/);
    await writeFile(path.join(tmp.dir, 'notes.txt'), 'work in progress\n');
    const create = await aca(['checkpoint', 'create', 'before the refactor'], tmp.dir);
    assert.equal(create.code, 0, create.err);
    const list = await aca(['checkpoint', 'list', '--all-sessions'], tmp.dir);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^Session [0-9a-f-]{36} {2}"tasks" {2}1\/2 done, updated /);
    assert.match(list.out, /manual {9}state\+files {2}session start\n.*manual {9}state\+files {2}before the refactor\n$/);
  });

  it('checkpoint resume shows the changes, applies them only with --yes, and restores state and files', async () => {
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] One\n- [ ] Two\n');
    await writeFile(path.join(tmp.dir, 'app.txt'), 'v1\n');
    await aca(['run', 'tasks.md'], tmp.dir);
    await writeFile(path.join(tmp.dir, 'app.txt'), 'broken\n');
    await writeFile(path.join(tmp.dir, 'junk.txt'), 'junk\n');
    const dry = await aca(['checkpoint', 'resume', '--latest'], tmp.dir);
    assert.equal(dry.code, EXIT_BAD_INPUT);
    assert.match(dry.out, / {2}~ app\.txt\n {2}- junk\.txt\n/);
    assert.match(dry.err, /nothing was changed; run again with --yes/);
    assert.equal(await readFile(path.join(tmp.dir, 'app.txt'), 'utf8'), 'broken\n');
    const applied = await aca(['checkpoint', 'resume', '--latest', '--yes'], tmp.dir);
    assert.equal(applied.code, 0, applied.err);
    assert.equal(await readFile(path.join(tmp.dir, 'app.txt'), 'utf8'), 'v1\n');
    await assert.rejects(readFile(path.join(tmp.dir, 'junk.txt')));
    assert.match((await aca(['checkpoint', 'resume', 'no-such-id'], tmp.dir)).err, /no checkpoint no-such-id in /);
  });

  it('checkpoint resume journals the restore only once the files are back, and lists what the checkpoint did not cover', async () => {
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] One\n');
    await writeFile(path.join(tmp.dir, 'app.txt'), 'v1\n');
    await writeFile(path.join(tmp.dir, '.gitignore'), 'secret.env\n');
    await writeFile(path.join(tmp.dir, 'secret.env'), 'KEY=1\n');
    const session = /Session ([0-9a-f-]{36})/.exec((await aca(['run', 'tasks.md'], tmp.dir)).err)![1]!;
    const sessionDir = path.join(tmp.dir, '.aca', 'sessions', session);
    await writeFile(path.join(tmp.dir, 'app.txt'), 'broken\n');
    // The restore cannot write its index: the files stay as they are, and so must the session's task states.
    await mkdir(path.join(sessionDir, 'restore.index.lock'));
    await assert.rejects(aca(['checkpoint', 'resume', '--latest', '--yes'], tmp.dir), /restore\.index\.lock/);
    assert.equal(await readFile(path.join(tmp.dir, 'app.txt'), 'utf8'), 'broken\n');
    assert.doesNotMatch(await readFile(path.join(sessionDir, 'journal.jsonl'), 'utf8'), /checkpoint_restored/);
    await rm(path.join(sessionDir, 'restore.index.lock'), { recursive: true });
    // An ignored file was never saved: once un-ignored, restore leaves it and says so.
    await writeFile(path.join(tmp.dir, '.gitignore'), '');
    const dry = await aca(['checkpoint', 'resume', '--latest'], tmp.dir);
    assert.match(dry.out, / {2}~ app\.txt\n/, dry.out + dry.err);
    assert.match(dry.out, /not covered by the checkpoint \(ignored or too large then\), left as they are:\n {2}secret\.env\n/);
    const applied = await aca(['checkpoint', 'resume', '--latest', '--yes'], tmp.dir);
    assert.equal(applied.code, 0, applied.err);
    assert.equal(await readFile(path.join(tmp.dir, 'app.txt'), 'utf8'), 'v1\n');
    assert.equal(await readFile(path.join(tmp.dir, 'secret.env'), 'utf8'), 'KEY=1\n');
    assert.match(await readFile(path.join(sessionDir, 'journal.jsonl'), 'utf8'), /checkpoint_restored/);
  });

  it('resume finds the newest unfinished session and goes on with it; --retry-failed runs failed tasks again', async () => {
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] One\n');
    const created = /Session ([0-9a-f-]{36})/.exec((await aca(['run', 'tasks.md'], tmp.dir)).err)![1]!;
    const resumed = await aca(['resume', '--latest'], tmp.dir);
    assert.equal(resumed.code, EXIT_FAILURE);
    assert.match(resumed.err, new RegExp(`^Session ${created} "tasks": 0/1 done\\n`));
    assert.doesNotMatch(resumed.err, /▶ 1 One/, 'a failed task stays failed unless asked');
    const retried = await aca(['resume', '--latest', '--retry-failed'], tmp.dir);
    assert.match(retried.err, /▶ 1 One \(attempt 2\)/);
    assert.equal((await aca(['resume', created.slice(0, 8)], tmp.dir)).code, EXIT_FAILURE);
    assert.match((await aca(['resume', 'ffffffff'], tmp.dir)).err, /no session ffffffff in /);
  });

  it('in a terminal, shows the forecast and asks before running; --yes does not ask', async () => {
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] One\n');
    let err = '';
    const asked: string[] = [];
    const io: CliIo = {
      out: () => undefined,
      err: (t) => (err += t),
      cwd: tmp.dir,
      env: { ACA_CLAUDE_PATH: '/nonexistent/claude' },
      home: '/nonexistent-home',
      ask: async (q) => (asked.push(q), 'n'),
    };
    assert.equal(await runCli(['run', 'tasks.md', '--model', 'claude-sonnet-4-5'], io), EXIT_FAILURE);
    assert.match(err, /Forecast: 1 task with claude-code \(claude-sonnet-4-5\): about 170k tokens, ~\$0\.37, ~6m00s \(a rough estimate from complexity\)/);
    assert.deepEqual(asked, ['Run 1 task? [y/N] ']);
    assert.match(err, /Nothing was run\. The session is kept: aca resume [0-9a-f-]{36}/);
    // Before asking, it lists what will run besides the agent's edits.
    assert.match(err, /Verify commands: none\.\nRun without asking:\n {2}claude-code: npm test …, npm run build …/);
    err = '';
    assert.equal(await runCli(['run', 'tasks.md', '--verify', 'python3 -m pytest -q', '--provider', 'openai', '--model', 'gpt-5.4'], io), EXIT_FAILURE);
    assert.match(err, /Verify commands \(run after each task, without a shell\):\n {2}python3 -m pytest -q {2}\(1\)\n/);
    assert.match(
      err,
      /Run without asking:\n {2}openai: npm \(packages the workspace does not have are asked about\), npx \(.*node \(inline code \(node -e, .*\) is asked about\).*, without a shell or secrets in the environment\n/,
    );
    asked.length = 0;
    await runCli(['run', 'tasks.md', '--yes'], io);
    assert.deepEqual(asked, []);
  });

  it('on a terminal, keeps a live status line under the progress lines', async () => {
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] One\n');
    let err = '';
    const io: CliIo = {
      out: () => undefined,
      err: (t) => (err += t),
      cwd: tmp.dir,
      env: { ACA_CLAUDE_PATH: '/nonexistent/claude' },
      home: '/nonexistent-home',
      live: true,
    };
    await runCli(['run', 'tasks.md', '--yes'], io);
    assert.match(err, /\r\x1b\[K▶ 1 One\n⏳ 0\/1 done · 1 running · 0 failed · \d+s/);
    assert.match(err, /\r\x1b\[K\nid {2}task/, 'the status line is cleared before the final table');
  });

  it('applies the retention configured in aca.toml', async () => {
    await writeFile(path.join(tmp.dir, 'aca.toml'), '[checkpoints]\nkeep = 2\n\n[sessions]\nsync_every = 1\n');
    await writeFile(path.join(tmp.dir, 'tasks.md'), '- [ ] One\n');
    await aca(['run', 'tasks.md'], tmp.dir);
    for (const name of ['second', 'third', 'fourth']) {
      assert.equal((await aca(['checkpoint', 'create', name], tmp.dir)).code, 0);
    }
    const listed = (await aca(['checkpoint', 'list'], tmp.dir)).out;
    assert.deepEqual(
      listed
        .split('\n')
        .filter((l) => l.startsWith('  '))
        .map((l) => l.trim().split(/\s+/).pop()),
      ['third', 'fourth'],
    );
  });

  it('finds the session of a run from a subfolder of a repository: the workspace is the git root for every command', async () => {
    await mkdir(path.join(tmp.dir, '.git'));
    await mkdir(path.join(tmp.dir, 'sub'));
    await writeFile(path.join(tmp.dir, 'sub', 'tasks.md'), '- [ ] One\n');
    const sub = path.join(tmp.dir, 'sub');
    await aca(['run', 'tasks.md'], sub);
    const listed = await aca(['checkpoint', 'list'], sub);
    assert.match(listed.out, /^Session [0-9a-f-]+ {2}"tasks"/, listed.out + listed.err);
    assert.equal((await aca(['checkpoint', 'create', 'from-sub'], sub)).code, 0);
  });

  it('says where to start when there is no session to checkpoint', async () => {
    const { code, err } = await aca(['checkpoint', 'create', 'x'], tmp.dir);
    assert.equal(code, EXIT_BAD_INPUT);
    assert.match(err, /no unfinished session in .*\.aca\/sessions; start one with "aca run <FILE>"/);
    assert.match((await aca(['checkpoint', 'list'], tmp.dir)).out, /^No sessions in /);
  });

  it('shows where configuration is looked for and which file is used', async () => {
    const none = await aca(['show-config'], tmp.dir, tmp.dir);
    assert.match(none.out, /- .*aca\.toml {2}\(not found\)\n {2}- .*\.aca\/config\.toml {2}\(not found\)\n/);
    assert.match(none.out, /No configuration file found; using defaults\./);
    await mkdir(path.join(tmp.dir, '.aca'));
    await writeFile(path.join(tmp.dir, '.aca', 'config.toml'), 'provider = "claude-code"\nmodel = "claude-sonnet-4-5"\n');
    const found = await aca(['show-config'], tmp.dir, tmp.dir);
    assert.match(found.out, /\* .*\.aca\/config\.toml {2}\(used\)/);
    assert.match(found.out, /"model": "claude-sonnet-4-5"/);
    await writeFile(path.join(tmp.dir, 'aca.toml'), 'provider = "claude-code"\nunknown_key = 1\n');
    const bad = await aca(['show-config'], tmp.dir, tmp.dir);
    assert.equal(bad.code, EXIT_BAD_INPUT);
    assert.match(bad.err, /aca\.toml: \(root\): Unrecognized key: "unknown_key"/);
  });
});
