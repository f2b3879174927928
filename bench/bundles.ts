/**
 * The extension's bundles built as the VSIX ships them (minified, esbuild.mjs's options for the extension
 * host), in memory or into a folder, with esbuild's metafile: what activation loads (dist/extension.js), the
 * parser loaded on the first parse (dist/parser.js), the session store loaded just after activation
 * (dist/sessions.js), the runtime loaded on the first run or analysis (dist/runtime.js), and the webview
 * script. Used by the activation bench and test/unit/bundles.test.ts.
 * Keep the options in step with esbuild.mjs.
 */
import * as esbuild from 'esbuild';
import path from 'node:path';

export const BUNDLE_ENTRIES = {
  extension: 'src/extension/extension.ts',
  runtime: 'src/extension/lazyRuntime.ts',
  parser: 'src/extension/lazyParser.ts',
  sessions: 'src/extension/lazySessions.ts',
  webview: 'src/webview/main.ts',
} as const;
export type BundleName = keyof typeof BUNDLE_ENTRIES;

export interface BuiltBundle {
  readonly name: BundleName;
  readonly bytes: number;
  /** Input file (repository-relative, e.g. `node_modules/ai/dist/index.mjs`) → its bytes in the output. */
  readonly inputs: ReadonlyMap<string, number>;
}

/** `node_modules/…` for a package even when node_modules is a symlink out of the tree (esbuild gives its real path). */
function repoRelative(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  return at > 0 ? input.slice(at) : input;
}

/** Builds the five bundles minified; with `outdir`, writes them there as `<name>.js`. */
export async function buildBundles(repoRoot: string, outdir?: string): Promise<BuiltBundle[]> {
  const common: esbuild.BuildOptions = {
    absWorkingDir: repoRoot,
    bundle: true,
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    write: outdir !== undefined,
    outdir: outdir ?? path.join(repoRoot, 'out', 'bundles'),
  };
  const node: esbuild.BuildOptions = { ...common, platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'], external: ['vscode'] };
  const results = await Promise.all([
    esbuild.build({
      ...node,
      entryPoints: { extension: BUNDLE_ENTRIES.extension, runtime: BUNDLE_ENTRIES.runtime, parser: BUNDLE_ENTRIES.parser, sessions: BUNDLE_ENTRIES.sessions },
    }),
    esbuild.build({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { webview: BUNDLE_ENTRIES.webview } }),
  ]);
  const bundles: BuiltBundle[] = [];
  for (const result of results) {
    for (const [file, output] of Object.entries(result.metafile?.outputs ?? {})) {
      const name = path.basename(file, '.js');
      if (file.endsWith('.js') && name in BUNDLE_ENTRIES) {
        bundles.push({
          name: name as BundleName,
          bytes: output.bytes,
          inputs: new Map(Object.entries(output.inputs).map(([input, { bytesInOutput }]) => [repoRelative(input), bytesInOutput])),
        });
      }
    }
  }
  return bundles;
}

/**
 * Code that must not load at activation, in the parser bundle: the tasks-file parsers with markdown-it and
 * its dependencies, plan files (JSONC, TOML), plan edits and proposals, finding a tasks file in a folder, the
 * schema of the plan panel's messages.
 */
export const PARSER_INPUTS: readonly RegExp[] = [
  /^node_modules\/(markdown-it|entities|linkify-it|mdurl|uc\.micro|punycode\.js|smol-toml|jsonc-parser)\//,
  /^src\/core\/parse\//,
  /^src\/core\/plan\/(buildPlan|planFile|planEdits|proposal|findTasksFile|analyze)\.ts$/,
  /^src\/protocol\/messages\.ts$/,
];

/**
 * Code that must not load at activation, in the session-store bundle: zod (and so every schema), the session
 * store (src/core/session, but for progress.ts: formatting progress and durations, which the views use), the
 * session use cases and where sessions live, the seed-session and seed-plan migrations, file checkpoints.
 */
export const SESSIONS_INPUTS: readonly RegExp[] = [
  /^node_modules\/zod\//,
  /^src\/core\/session\/(?!progress\.ts$)/,
  /^src\/core\/app\/(sessions|sessionPlaces)\.ts$/,
  /^src\/core\/plan\/seedPlan\.ts$/,
  /^src\/core\/workspace\/fileCheckpoints\.ts$/,
];

/**
 * Code that must not load at activation, in the runtime bundle: the AI SDK, the engine's run loop, the
 * providers that run agents and the agent loop's tools. (The forecast, the run preview's pure parts and the
 * shared types may.)
 */
export const RUNTIME_INPUTS: readonly RegExp[] = [
  /^node_modules\/ai\//,
  /^node_modules\/@ai-sdk\//,
  /^src\/core\/engine\/engine\.ts$/,
  /^src\/core\/providers\/(dispatcher|modelAgent|modelCompletion|claudeCode|codex|factory)\.ts$/,
  /^src\/core\/agent\/workspaceTools\.ts$/,
  /^src\/core\/app\/(run|analysis|heavy)\.ts$/,
];

/** The inputs of `bundle` that one of `patterns` (by default, everything activation must not load) matches. */
export function heavyInputsOf(bundle: BuiltBundle, patterns: readonly RegExp[] = [...PARSER_INPUTS, ...SESSIONS_INPUTS, ...RUNTIME_INPUTS]): string[] {
  return [...bundle.inputs.keys()].filter((input) => patterns.some((pattern) => pattern.test(input)));
}

/** The biggest contributors, grouped by npm package or source folder: `[name, bytes]`, biggest first. */
export function contributors(bundle: BuiltBundle, top = 8): Array<[string, number]> {
  const groups = new Map<string, number>();
  for (const [input, bytes] of bundle.inputs) {
    const parts = input.split('/');
    const key = parts[0] === 'node_modules' ? parts.slice(0, parts[1]?.startsWith('@') ? 3 : 2).join('/') : parts.slice(0, 3).join('/');
    groups.set(key, (groups.get(key) ?? 0) + bytes);
  }
  return [...groups].sort((a, b) => b[1] - a[1]).slice(0, top);
}
