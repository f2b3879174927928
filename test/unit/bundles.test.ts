import * as esbuild from 'esbuild';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildBundles, heavyInputsOf, PARSER_INPUTS, RUNTIME_INPUTS, SESSIONS_INPUTS } from '../../bench/bundles';
import { REPO_ROOT } from '../support/processes';

describe('the bundles the extension host loads', function () {
  this.timeout(60_000);

  it('activation loads no AI SDK, engine or agent-running provider: those are in the runtime bundle', async () => {
    const bundles = await buildBundles(REPO_ROOT);
    const extension = bundles.find((b) => b.name === 'extension');
    const runtime = bundles.find((b) => b.name === 'runtime');
    assert.ok(extension && runtime, 'both bundles are built');
    assert.deepEqual(heavyInputsOf(extension), [], 'heavy modules in dist/extension.js');
    assert.deepEqual(
      [...extension.inputs.keys()].filter((input) => input.startsWith('node_modules/execa/')),
      [],
      'execa in dist/extension.js (git runs through node:child_process)',
    );
    assert.ok(
      heavyInputsOf(runtime).some((input) => input.startsWith('node_modules/ai/')),
      'the runtime bundle has the AI SDK',
    );
  });

  it('activation loads no parser (markdown-it, entities, TOML, JSONC, src/core/parse): those are in the parser bundle', async () => {
    const bundles = await buildBundles(REPO_ROOT);
    const extension = bundles.find((b) => b.name === 'extension');
    const parser = bundles.find((b) => b.name === 'parser');
    assert.ok(extension && parser, 'both bundles are built');
    const inputs = [...extension.inputs.keys()];
    assert.deepEqual(
      inputs.filter((input) => /^node_modules\/(markdown-it|entities)\//.test(input)),
      [],
      'markdown-it and entities in dist/extension.js',
    );
    assert.deepEqual(heavyInputsOf(extension, PARSER_INPUTS), [], 'parser modules in dist/extension.js');
    for (const needed of [
      /^node_modules\/markdown-it\//,
      /^node_modules\/entities\//,
      /^src\/core\/parse\/markdownTasks\.ts$/,
      /^src\/core\/plan\/planEdits\.ts$/,
    ]) {
      assert.ok(
        [...parser.inputs.keys()].some((input) => needed.test(input)),
        `the parser bundle has ${needed.source}`,
      );
    }
    assert.deepEqual(heavyInputsOf(parser, RUNTIME_INPUTS), [], 'the parser bundle has nothing of the runtime');
  });

  it('activation loads no zod and no session store (src/core/session but progress.ts): those are in the session-store bundle', async () => {
    const bundles = await buildBundles(REPO_ROOT);
    const extension = bundles.find((b) => b.name === 'extension');
    const sessions = bundles.find((b) => b.name === 'sessions');
    assert.ok(extension && sessions, 'both bundles are built');
    const inputs = [...extension.inputs.keys()];
    assert.deepEqual(
      inputs.filter((input) => input.startsWith('node_modules/zod/')),
      [],
      'zod in dist/extension.js',
    );
    assert.deepEqual(
      inputs.filter((input) => input.startsWith('src/core/session/') && input !== 'src/core/session/progress.ts'),
      [],
      'the session store in dist/extension.js',
    );
    assert.deepEqual(heavyInputsOf(extension, SESSIONS_INPUTS), [], 'session-store modules in dist/extension.js');
    for (const needed of [
      /^node_modules\/zod\//,
      /^src\/core\/session\/sessionWriter\.ts$/,
      /^src\/core\/session\/transcripts\.ts$/,
      /^src\/core\/app\/sessions\.ts$/,
      /^src\/core\/workspace\/fileCheckpoints\.ts$/,
    ]) {
      assert.ok(
        [...sessions.inputs.keys()].some((input) => needed.test(input)),
        `the session-store bundle has ${needed.source}`,
      );
    }
    assert.deepEqual(heavyInputsOf(sessions, [...PARSER_INPUTS, ...RUNTIME_INPUTS]), [], 'the session-store bundle has nothing of the parser or the runtime');
  });
});

describe('secrets known to both bundles', function () {
  this.timeout(30_000);

  it('a key registered by the activation bundle is redacted by the runtime bundle, each with its own copy of the core', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aca-bundles-'));
    try {
      const copies = ['activation.js', 'runtime.js'].map((name) => path.join(dir, name));
      for (const outfile of copies) {
        await esbuild.build({
          absWorkingDir: REPO_ROOT,
          entryPoints: ['src/core/common/redact.ts'],
          bundle: true,
          platform: 'node',
          format: 'cjs',
          outfile,
          logLevel: 'warning',
        });
      }
      // Two separate module instances, as the extension host holds them: require() of two bundle files.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const [activation, runtime] = copies.map((file) => require(file) as typeof import('../../src/core/common/redact'));
      assert.ok(activation && runtime && activation !== runtime, 'two copies of the module');
      activation.registerSecret('stored-key-from-secret-storage-0123');
      assert.equal(runtime.redactSecrets('sent stored-key-from-secret-storage-0123'), `sent ${runtime.REDACTED}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
