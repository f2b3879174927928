// Bundles the extension host entry, the `aca` CLI, the webview script and (with --tests) the
// integration suites that run inside a real VS Code extension host. Type checking is `tsc --noEmit`.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const withTests = process.argv.includes('--tests');
const withBench = process.argv.includes('--bench');

/**
 * dist/extension.js is what every activation loads: 1,571 KB minified when it held the AI SDK and the engine,
 * 578 KB once they moved to dist/runtime.js (loaded on the first run or analysis), 227 KB since the parsers
 * moved to dist/parser.js (loaded on the first parse) and execa left, 72 KB since the session store and zod
 * moved to dist/sessions.js (loaded just after activation, by the Sessions view's first refresh). The limit
 * (about a third of headroom) stops a heavy import — zod above all — from creeping back; `npm run bench`
 * reports the size against its 400 KB target.
 */
const EXTENSION_BUNDLE_LIMIT_BYTES = 96 * 1024;

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
};

// ESM entry points first: some packages' UMD builds (jsonc-parser) use dynamic requires a bundle cannot follow.
const nodeCommon = { ...common, platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'] };

/** @type {esbuild.BuildOptions[]} */
const builds = [
  // Four bundles for the extension host: what activation loads, the parser (tasks files, plan files, plan
  // edits) that src/extension/lazyLoader.ts requires on the first parse, the session store (with zod) it
  // requires just after activation, and the runtime (engine, providers, AI SDK) it requires on the first run
  // or analysis. CommonJS output is never split.
  {
    ...nodeCommon,
    entryPoints: {
      extension: 'src/extension/extension.ts',
      parser: 'src/extension/lazyParser.ts',
      sessions: 'src/extension/lazySessions.ts',
      runtime: 'src/extension/lazyRuntime.ts',
    },
    outdir: 'dist',
    external: ['vscode'],
  },
  { ...nodeCommon, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  // The core as a library (`automatic-coding-agent/core`): its npm dependencies are the package's own.
  { ...nodeCommon, entryPoints: { core: 'src/core/index.ts' }, outdir: 'dist', packages: 'external' },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { webview: 'src/webview/main.ts' }, outdir: 'dist' },
];

if (withTests) {
  // Every suite is bundled like the extension, with npm packages left external: Node 20.19+ loads
  // ESM-only packages (execa) through require() itself, which TypeScript loaders would break.
  // Start clean: a deleted or renamed test must not live on as a stale bundle that still runs.
  rmSync('out/test', { recursive: true, force: true });
  builds.push({ ...nodeCommon, sourcemap: 'inline', entryPoints: ['test/support/sessionWorker.ts'], outdir: 'out/test/support', packages: 'external' });
  for (const suite of ['unit', 'agents', 'integration', 'e2e']) {
    const dir = path.join('test', suite);
    const entries = readdirSync(dir).filter((f) => f.endsWith('.test.ts') || (suite === 'integration' && f === 'index.ts'));
    builds.push({
      ...nodeCommon,
      sourcemap: 'inline',
      entryPoints: entries.map((f) => path.join(dir, f)),
      outdir: path.join('out', 'test', suite),
      // `vscode` is provided by the extension host; packages resolve from node_modules at run time.
      external: ['vscode'],
      packages: 'external',
    });
  }
}

if (withBench) {
  builds.push({
    ...nodeCommon,
    minify: true,
    sourcemap: false,
    entryPoints: ['bench/parse.bench.ts', 'bench/session.bench.ts', 'bench/provider.bench.ts', 'bench/engine.bench.ts'],
    outdir: 'out/bench',
  });
}

if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
  console.log('[esbuild] watching for changes');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  if (production) {
    // Type declarations of the library entry (dist/types/core/index.d.ts).
    const types = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.lib.json'], { stdio: 'inherit' });
    if (types.status !== 0) {
      console.error('[esbuild] the type declarations of the core did not build');
      process.exit(1);
    }
  }
  const size = statSync('dist/extension.js').size;
  if (production && size > EXTENSION_BUNDLE_LIMIT_BYTES) {
    console.error(`[esbuild] dist/extension.js is ${size} bytes, over the ${EXTENSION_BUNDLE_LIMIT_BYTES}-byte limit`);
    process.exit(1);
  }
  console.log(`[esbuild] built${production ? ' (production)' : ''}: dist/extension.js ${(size / 1024).toFixed(1)} KiB`);
}
