// `node scripts/test-one.mjs test/unit/foo.test.ts [more…] [-- mocha args]`: bundles only the named test
// files into a private folder under out/one/ and runs them with mocha. Several can run at once without
// touching out/test, which `esbuild.mjs --tests` wipes. Agents tests that start `aca` also need
// `node esbuild.mjs` first (dist/cli.js). For working on a few tests; `npm test` stays the whole check.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const split = process.argv.indexOf('--');
const files = (split < 0 ? process.argv.slice(2) : process.argv.slice(2, split)).filter((f) => f.endsWith('.ts'));
const mochaArgs = split < 0 ? [] : process.argv.slice(split + 1);
if (files.length === 0) {
  console.error('usage: node scripts/test-one.mjs test/<suite>/<name>.test.ts [more…] [-- mocha args]');
  process.exit(2);
}
mkdirSync('out/one', { recursive: true });
const outdir = mkdtempSync(path.join('out', 'one', 'run-'));
await esbuild.build({
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  mainFields: ['module', 'main'],
  sourcemap: 'inline',
  sourcesContent: false,
  logLevel: 'warning',
  entryPoints: files,
  outdir,
  outbase: 'test',
  external: ['vscode'],
  packages: 'external',
});
const built = files.map((f) => path.join(outdir, path.relative('test', f)).replace(/\.ts$/, '.js'));
const result = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', '--enable-source-maps', ...mochaArgs, ...built], { stdio: 'inherit' });
process.exit(result.status ?? 1);
