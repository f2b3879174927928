/**
 * The core as a library: `require('automatic-coding-agent/core')` (the package's exports) parses a tasks
 * file and runs it with an engine, without VS Code; its type declarations build.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, useTempDirs } from '../support/processes';

describe('the core as a library', function () {
  this.timeout(60_000);
  const dirs = useTempDirs('ws', 'types');

  it('is importable through the package exports and runs a plan', async () => {
    const entry = require.resolve('automatic-coding-agent/core', { paths: [REPO_ROOT] });
    assert.equal(entry, path.join(REPO_ROOT, 'dist', 'core.js'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the built bundle, as a user would
    const core = require(entry) as typeof import('../../src/core/index');
    await writeFile(path.join(dirs.ws, 'tasks.md'), '- [ ] First\n- [ ] Second\n');
    const { plan, problems } = await core.planFromTasksFile(path.join(dirs.ws, 'tasks.md'));
    assert.deepEqual(problems, []);
    const writer = await core.SessionWriter.create(path.join(dirs.ws, '.aca', 'sessions'), plan);
    const agent = {
      async *run() {
        yield* [];
        return {
          outcome: 'done' as const,
          provider: 'claude-code' as const,
          message: 'ok',
          usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
          durationMs: 0,
          runs: 1,
        };
      },
    };
    const summary = await new core.Engine({ writer, agent, workspace: dirs.ws, resources: false }).run();
    await writer.close();
    assert.equal(summary.outcome, 'done');
  });

  it('ships type declarations for it', async () => {
    execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(REPO_ROOT, 'tsconfig.lib.json'), '--outDir', dirs.types],
      { cwd: REPO_ROOT },
    );
    const index = await readFile(path.join(dirs.types, 'core', 'index.d.ts'), 'utf8');
    for (const name of ['Engine', 'SessionWriter', 'planFromTasksFile', 'createDispatcher', 'AgentDispatcher']) {
      assert.match(index, new RegExp(`\\b${name}\\b`));
    }
    const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types?: string }> };
    assert.equal(manifest.exports['./core']?.types, './dist/types/core/index.d.ts');
  });
});
