/**
 * Issue 14, holes 5 and 7 and the `__proto__` defect: files and plans from a repository are hostile. Each
 * worst input must end in a clear error naming the file, or parse, in under 2 s (the bound the issue asks for).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT_BAD_INPUT, runCli, type CliIo } from '../../src/cli/main';
import { WorkspaceTools } from '../../src/core/agent/workspaceTools';
import { parseConfig } from '../../src/core/config/config';
import { realpathOr } from '../../src/core/common/paths';
import { buildTaskPrompt } from '../../src/core/engine/prompt';
import { planSchema, type Plan } from '../../src/core/model/plan';
import { extractJson, fencedBlocks, FileAnalysisCache } from '../../src/core/plan/analyze';
import { parseMarkdownTasks } from '../../src/core/parse/markdownTasks';
import { loadReferenceContext } from '../../src/core/parse/references';
import { planFromTasksFile } from '../../src/core/plan/buildPlan';
import { parsePlanText, readPlanFile } from '../../src/core/plan/planFile';
import { PlanError, formatProblem } from '../../src/core/model/problems';
import type { SessionState } from '../../src/core/session/events';
import { problemsOf } from '../support/problems';
import { makeTempDir } from '../support/processes';

const MB = 1024 * 1024;
const BOUND_MS = 2000;

/**
 * Runs `work` and fails when it costs more than the issue's bound. The cost is this process's CPU time: other
 * processes on the machine (a CI neighbour, a parallel suite) stretch the wall clock, not the work done.
 */
async function withinBound<T>(what: string, work: () => T | Promise<T>): Promise<T> {
  const [wallStart, cpuStart] = [performance.now(), process.cpuUsage()];
  const result = await work();
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  assert.ok(cpuMs < BOUND_MS, `${what} took ${cpuMs.toFixed(0)} ms of CPU (${(performance.now() - wallStart).toFixed(0)} ms wall; bound ${BOUND_MS} ms)`);
  return result;
}

/** CPU milliseconds `work` costs. */
function cpuMsOf(work: () => unknown): number {
  const start = process.cpuUsage();
  work();
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1000;
}

/**
 * Fails when 4× the input costs more than 10× the CPU time (linear: about 4; quadratic: 16). The small input
 * runs once first (cold code and a young heap cost it more), then each side's best of two runs is compared.
 */
function assertLinearGrowth(what: string, small: () => unknown, large: () => unknown): void {
  small();
  const best = (work: () => unknown): number => Math.min(cpuMsOf(work), cpuMsOf(work));
  const ratio = best(large) / Math.max(best(small), 1);
  assert.ok(ratio < 10, `${what}: 4× the input took ${ratio.toFixed(1)}× the time (linear: about 4; quadratic: 16)`);
}

/** The problems of the PlanError `run` throws, as they are printed. */
function planErrorOf(run: () => unknown): string[] {
  return problemsOf(run).map(formatProblem);
}

const posixOnly = process.platform === 'win32' ? describe.skip : describe;

describe('hostile input', function () {
  // Generous for the suite; each case asserts the issue's 2 s bound itself.
  this.timeout(20_000);
  let ws: { dir: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    ws = await makeTempDir('hostile');
  });
  afterEach(async () => ws.cleanup());

  posixOnly('files that are not regular files', () => {
    it('refuses a tasks file that is a symlink to /dev/zero, naming it, before reading it', async () => {
      const file = path.join(ws.dir, 'TODO.md');
      await symlink('/dev/zero', file);
      const { plan, problems } = await withinBound('TODO.md -> /dev/zero', () => planFromTasksFile(file, { workspaceRoot: ws.dir }));
      assert.deepEqual(plan.tasks, []);
      assert.deepEqual(
        problems.map((p) => [p.code, p.file]),
        [['file-not-regular', 'TODO.md']],
      );
      assert.match(problems[0]!.message, /not a regular file/);
    });

    it('refuses a tasks file that is a FIFO instead of waiting on it forever', async () => {
      const file = path.join(ws.dir, 'tasks.md');
      execFileSync('mkfifo', [file]);
      const { problems } = await withinBound('a FIFO', () => planFromTasksFile(file, { workspaceRoot: ws.dir }));
      assert.deepEqual(
        problems.map((p) => p.code),
        ['file-not-regular'],
      );
    });

    it('refuses a tasks file over the size limit without reading it', async () => {
      const file = path.join(ws.dir, 'tasks.md');
      // Sparse: 40 MB long, nothing written.
      execFileSync('truncate', ['-s', String(40 * MB), file]);
      const { problems } = await withinBound('a 40 MB tasks file', () => planFromTasksFile(file, { workspaceRoot: ws.dir }));
      assert.deepEqual(
        problems.map((p) => p.code),
        ['file-too-large'],
      );
    });

    it('refuses a plan file that is a symlink to /dev/zero or a FIFO, naming it', async () => {
      await symlink('/dev/zero', path.join(ws.dir, 'zero.aca-plan.json'));
      execFileSync('mkfifo', [path.join(ws.dir, 'fifo.json')]);
      for (const name of ['zero.aca-plan.json', 'fifo.json']) {
        const problems = await withinBound(name, async () => {
          try {
            await readPlanFile(path.join(ws.dir, name), 'json', name);
          } catch (error) {
            return PlanError.is(error) ? error.problems.map(formatProblem) : assert.fail(String(error));
          }
          return assert.fail('expected a PlanError');
        });
        assert.deepEqual(problems, [`${name}: not a regular file (a device, a FIFO, a socket or a folder); it was not read`]);
      }
    });

    it('aca run refuses a plan or tasks file that is a FIFO or /dev/zero, naming it', async () => {
      execFileSync('mkfifo', [path.join(ws.dir, 'plan.json')]);
      await symlink('/dev/zero', path.join(ws.dir, 'TODO.md'));
      for (const name of ['plan.json', 'TODO.md']) {
        let err = '';
        const io: CliIo = { out: () => undefined, err: (t) => (err += t), cwd: ws.dir, env: {}, home: path.join(ws.dir, 'home') };
        const code = await withinBound(`aca run ${name}`, () => runCli(['run', name, '--dry-run'], io));
        assert.equal(code, EXIT_BAD_INPUT, err);
        assert.match(err, new RegExp(`${name.replace('.', '\\.')}.*not a regular file`));
      }
    });

    it('does not follow a symlink loop forever: too many links is an error', async () => {
      await symlink('b', path.join(ws.dir, 'a'));
      await symlink('a', path.join(ws.dir, 'b'));
      await withinBound('a symlink loop', () => assert.rejects(realpathOr(path.join(ws.dir, 'a')), /too many symbolic links/));
      // The agent's tools: refused with the reason, also for a file below the loop.
      const tools = new WorkspaceTools(ws.dir, { commands: { allow: [] } });
      await withinBound('read_file through a loop', () => assert.rejects(tools.readFile('a'), /too many symbolic links/));
      await withinBound('write_file below a loop', () => assert.rejects(tools.writeFile('a/new.txt', 'x'), /too many symbolic links/));
      // And as a reference: skipped, nothing hangs.
      await writeFile(path.join(ws.dir, 'tasks.md'), '- [ ] t -> ./a\n');
      const task = planSchema.shape.tasks.element.parse({ id: '1', title: 't', references: [{ path: 'a', found: true }] });
      const loaded = await withinBound('a looping reference', () => loadReferenceContext(task, path.join(ws.dir, 'tasks.md'), ws.dir));
      assert.deepEqual(loaded, []);
      const { problems } = await withinBound('checking a looping reference', () => planFromTasksFile(path.join(ws.dir, 'tasks.md'), { workspaceRoot: ws.dir }));
      assert.deepEqual(
        problems.map((p) => p.code),
        ['reference-missing'],
      );
    });
  });

  describe('every pattern is linear: 1 MB of its worst input', () => {
    const spaces = ' '.repeat(MB);
    const cases: Array<[string, string]> = [
      ['spaces before a missing arrow in a title', `- [ ] t${spaces}x\n`],
      ['spaces then an arrow with no target', `- [ ] t${spaces}->\u00a0\n`],
      ['arrows separated by spaces', `- [ ] t${' -> '.repeat(MB / 4)}\u00a0\n`],
      ['trailing spaces in a description', `- [ ] t\n  a${' '.repeat(MB)}\n  b\n`],
      ['trailing spaces in a single-task file', `Title\n\nbody${spaces}\nmore`],
      ['a line of > (200 000 and more)', `${'>'.repeat(MB)}\n`],
      ['a list item of >', `- ${'>'.repeat(MB)}\n`],
      ['a requirements line that never closes', `- [ ] t\n  _Requirements:${' '.repeat(MB / 2)}${'x'.repeat(MB / 2)}\n`],
      ['a validates line that never closes', `- [ ] t\n  **Validates:${' '.repeat(MB / 2)}${'x'.repeat(MB / 2)}\n`],
      ['a long task number', `### ${'1.'.repeat(MB / 2)}\n`],
      ['a task mention followed by spaces', `T\n\n- depends on task #1${spaces}x\n`],
      ['a very long title', `- [ ] ${'*'.repeat(MB)}\n`],
      ['a very long title of combining marks', `- [ ] e${'\u0301'.repeat(MB)}\n`],
      // The pattern that looks for link definitions sees the text before markdown does (code blocks too).
      ['lines that open a link label', `\`\`\`\n${'[\n'.repeat(MB / 2)}\`\`\`\n`],
      ['a requirements line of 300 000 items', `- [ ] t\n  _Requirements: ${'1,'.repeat(300_000)}_\n`],
      ['front matter that never closes', `---\n${'\n--- x'.repeat(MB / 6)}`],
      ['a description of many lines', `- [ ] t\n${'  line\n'.repeat(MB / 7)}`],
      ['a field name then spaces', `- [ ] t\n  Depends on task #1${spaces}x\n`],
      ['a priority heading then spaces', `## Priority${spaces}x\n\n## High${spaces}x\n- [ ] t\n`],
      ['a dependency on a task then spaces', `- [ ] t\n  _Depends: task${spaces}x_\n`],
      ['a title of parentheses and backticks', `- [ ] ${'(after '.repeat(MB / 12)}${'`a'.repeat(MB / 4)}\n`],
    ];
    for (const [name, text] of cases) {
      it(name, async () => {
        await withinBound(name, () => parseMarkdownTasks(text, { file: 'tasks.md' }));
      });
    }

    it('more paragraphs than a spread has room for on the stack (200 000) parse without a RangeError, in linear time', () => {
      // No pattern here: markdown-it alone spends over a second on these tokens, so the bound is the growth.
      assertLinearGrowth(
        'paragraphs',
        () => parseMarkdownTasks('a\n\n'.repeat(50_000), { file: 'tasks.md' }),
        () => parseMarkdownTasks('a\n\n'.repeat(200_000), { file: 'tasks.md' }),
      );
    });

    it('links and arrows in a referenced markdown file', async () => {
      const task = planSchema.shape.tasks.element.parse({ id: '1', title: 't', references: [{ path: 'ref.md', found: true }] });
      const limits = { maxFileBytes: 2 * MB, maxTotalBytes: 2 * MB, maxDepth: 2 };
      for (const text of ['['.repeat(MB), '[](a'.repeat(MB / 4), `x ->${' '.repeat(MB)}\u00a0`, '[a]('.repeat(MB / 4)]) {
        await writeFile(path.join(ws.dir, 'ref.md'), text);
        await withinBound(`reference ${JSON.stringify(text.slice(0, 8))}…`, () => loadReferenceContext(task, path.join(ws.dir, 'tasks.md'), ws.dir, limits));
      }
    });
  });

  describe("the model's answer, and its cache in the workspace", () => {
    it('code fences are found in one pass: a fence then 1 MB of line breaks', async () => {
      const answer = `\`\`\`${'\n'.repeat(MB)}`;
      await withinBound('fence extraction', () => assert.throws(() => extractJson(answer, 'the answer'), /no JSON object found/));
      assert.deepEqual(fencedBlocks('a ```json\n{"x": 1}\n``` b ```\n\n2\n```'), ['{"x": 1}', '2']);
      assert.deepEqual(fencedBlocks('````\n3``` ```json x\n4```'), ['3']);
    });

    (process.platform === 'win32' ? it.skip : it)('a cached answer that is a symlink to /dev/zero is a cache miss, not a read', async () => {
      await symlink('/dev/zero', path.join(ws.dir, 'k.json'));
      assert.equal(await withinBound('the cache', () => new FileAnalysisCache(ws.dir).get('k')), undefined);
    });
  });

  describe('parse failures are clear errors naming the file', () => {
    it('a referenced markdown file with a bad percent escape is read, not a URIError', async () => {
      await writeFile(path.join(ws.dir, 'ref.md'), 'See [bar](100%) and [ok](other.md).\n');
      await writeFile(path.join(ws.dir, 'other.md'), 'other');
      await writeFile(path.join(ws.dir, '100%'), 'percent');
      const task = planSchema.shape.tasks.element.parse({ id: '1', title: 't', references: [{ path: 'ref.md', found: true }] });
      const loaded = await loadReferenceContext(task, path.join(ws.dir, 'tasks.md'), ws.dir);
      assert.deepEqual(
        loaded.map((r) => r.path),
        ['ref.md', '100%', 'other.md'],
      );
    });

    it('a 100 000-deep JSON plan', async () => {
      const deep = `{"version": 1, "name": "x", "tasks": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      const problems = await withinBound('deep JSON', () => planErrorOf(() => parsePlanText(deep, 'plan.json', 'json')));
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^plan\.json:1: .*nested/);
    });

    it('a 100 000-deep TOML plan', async () => {
      const deep = `version = 1\nname = "x"\ntasks = ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
      const problems = await withinBound('deep TOML', () => planErrorOf(() => parsePlanText(deep, 'plan.toml', 'toml')));
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^plan\.toml(:\d+)?: /);
    });

    it('a 1 MB JSON plan of invalid tasks or forbidden keys: every problem reported, lines for the first ones', async () => {
      const many = (element: string, bytes = MB): string =>
        `{"version": 1, "name": "x", "tasks": [\n${Array.from({ length: Math.floor(bytes / (element.length + 2)) }, () => element).join(',\n')}]}`;
      for (const element of ['{"id":1}', '{"__proto__":1}']) {
        // Every problem is validated and formatted, so the bound is the growth (finding each line was quadratic: over 60 s).
        const [quarter, whole] = [many(element, MB / 4), many(element)];
        const problems = planErrorOf(() => parsePlanText(whole, 'plan.json', 'json'));
        assert.ok(problems.length > 50_000, `${problems.length} problems`);
        assert.match(problems[0]!, /^plan\.json:2: tasks\[0\]/);
        assertLinearGrowth(
          element,
          () => planErrorOf(() => parsePlanText(quarter, 'plan.json', 'json')),
          () => planErrorOf(() => parsePlanText(whole, 'plan.json', 'json')),
        );
      }
    });

    it('TOML dotted keys 100 000 deep, in a plan and in aca.toml', async () => {
      const deep = `version = 1\nname = "x"\ntasks = []\nx${'.x'.repeat(100_000)} = 1\n`;
      const plan = await withinBound('deep dotted keys in a plan', () => planErrorOf(() => parsePlanText(deep, 'plan.toml', 'toml')));
      assert.equal(plan.length, 1);
      assert.match(plan[0]!, /^plan\.toml: x(\.x)+: nested more than 64 deep$/);
      const config = await withinBound('deep dotted keys in aca.toml', () => planErrorOf(() => parseConfig(`x${'.x'.repeat(100_000)} = 1\n`, 'aca.toml')));
      assert.match(config[0]!, /^aca\.toml: x(\.x)+: nested more than 64 deep$/);
    });
  });

  describe('keys that reach an object prototype', () => {
    const task = { id: '1', title: 't' };

    it('a JSON plan with "__proto__": {"verify": […]} is refused, naming the field', () => {
      const text = JSON.stringify({ version: 1, name: 'x', tasks: [task] }).replace('"title":"t"', '"title":"t","__proto__":{"verify":["touch pwned"]}');
      const problems = planErrorOf(() => parsePlanText(text, 'plan.json', 'json'));
      assert.deepEqual(problems, ['plan.json:1: tasks[0].__proto__: the key "__proto__" is not allowed']);
    });

    it('constructor and prototype keys are refused too, anywhere in a JSON plan', () => {
      const text = JSON.stringify({ version: 1, name: 'x', strategy: { constructor: {} }, tasks: [{ ...task, prototype: 1 }] }, null, 1);
      const problems = planErrorOf(() => parsePlanText(text, 'plan.json', 'json'));
      assert.equal(problems.length, 2);
      assert.match(problems[0]!, /^plan\.json:\d+: strategy\.constructor: the key "constructor" is not allowed$/);
      assert.match(problems[1]!, /^plan\.json:\d+: tasks\[0\]\.prototype: the key "prototype" is not allowed$/);
    });

    it('a TOML plan with a __proto__ table is refused, naming the field', () => {
      const text = 'version = 1\nname = "x"\n[[tasks]]\nid = "1"\ntitle = "t"\n[tasks.__proto__]\nverify = ["touch pwned"]\n';
      const problems = planErrorOf(() => parsePlanText(text, 'plan.toml', 'toml'));
      assert.deepEqual(problems, ['plan.toml: tasks[0].__proto__: the key "__proto__" is not allowed']);
    });

    it('an aca.toml with a __proto__ key is refused, naming the field', () => {
      const problems = planErrorOf(() => parseConfig('[__proto__]\nverify = ["touch pwned"]\n', '/w/aca.toml'));
      assert.deepEqual(problems, ['/w/aca.toml: __proto__: the key "__proto__" is not allowed']);
    });
  });

  describe('references are re-resolved when the prompt is built, whatever the plan says', () => {
    const state = { tasks: {} } as unknown as SessionState;
    const promptFor = async (references: Array<{ path: string; found: boolean }>, workspace: string): Promise<string> => {
      const plan: Plan = planSchema.parse({ version: 1, name: 'p', tasks: [{ id: '1', title: 't', references }] });
      return withinBound('building the prompt', () => buildTaskPrompt(plan.tasks[0]!, { plan, state, workspace, sourceDir: workspace }));
    };

    it('a stored found: true outside the workspace is not read', async () => {
      const outside = await makeTempDir('outside');
      try {
        await writeFile(path.join(outside.dir, 'secret.txt'), 'SECRET-OUTSIDE');
        await mkdir(path.join(ws.dir, 'docs'));
        await symlink(path.join(outside.dir, 'secret.txt'), path.join(ws.dir, 'docs', 'link.txt'));
        const climb = `${'../'.repeat(12)}${path.relative('/', outside.dir)}/secret.txt`;
        const prompt = await promptFor(
          [
            { path: climb, found: true },
            { path: path.join(outside.dir, 'secret.txt'), found: true },
            { path: 'docs/link.txt', found: true },
          ],
          ws.dir,
        );
        assert.doesNotMatch(prompt, /SECRET-OUTSIDE/);
      } finally {
        await outside.cleanup();
      }
    });

    (process.platform === 'win32' ? it.skip : it)('a stored found: true on a FIFO or a device inside the workspace is not read', async () => {
      execFileSync('mkfifo', [path.join(ws.dir, 'fifo')]);
      await symlink('/dev/zero', path.join(ws.dir, 'zero'));
      const prompt = await promptFor(
        [
          { path: 'fifo', found: true },
          { path: 'zero', found: true },
        ],
        ws.dir,
      );
      assert.doesNotMatch(prompt, /Referenced file/);
    });

    it('a file inside the workspace is read, even when the plan says found: false', async () => {
      await writeFile(path.join(ws.dir, 'notes.md'), 'NOTES-INSIDE');
      const prompt = await promptFor([{ path: 'notes.md', found: false }], ws.dir);
      assert.match(prompt, /NOTES-INSIDE/);
    });
  });
});
