import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../support/processes';

/** Every module specifier a TypeScript file imports: static, re-exports, dynamic import() and require(). */
export function importedModules(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** For each layer, the module prefixes it may never import (see design/architecture.md). */
const FORBIDDEN: Record<string, RegExp> = {
  'src/core': /^vscode(\/|$)|\/(extension|webview|cli|protocol)\//,
  'src/cli': /^vscode(\/|$)|\/(extension|webview)\//,
  'src/protocol': /^vscode(\/|$)|\/(core|extension|webview|cli)\//,
  'src/webview': /^vscode(\/|$)|\/(core|extension|cli)\//,
};

function violations(layer: string): string[] {
  const rule = FORBIDDEN[layer]!;
  const found: string[] = [];
  for (const file of tsFilesUnder(path.join(REPO_ROOT, layer))) {
    for (const specifier of importedModules(readFileSync(file, 'utf8'))) {
      if (rule.test(specifier)) {
        found.push(`${path.relative(REPO_ROOT, file)} imports '${specifier}'`);
      }
    }
  }
  return found;
}

describe('layering', () => {
  it('finds every form of import, so the checks below can fail', () => {
    const source = [
      "import * as vscode from 'vscode';",
      "import type { Uri } from 'vscode';",
      "export { x } from '../extension/api';",
      "const lazy = await import('vscode');",
      "const old = require('vscode');",
    ].join('\n');
    assert.deepEqual(importedModules(source), ['vscode', 'vscode', '../extension/api', 'vscode', 'vscode']);
    assert.ok(FORBIDDEN['src/core']!.test('vscode'));
    assert.ok(FORBIDDEN['src/core']!.test('../../extension/tasksView'));
    assert.ok(!FORBIDDEN['src/core']!.test('node:fs'));
  });

  it('src/core never imports vscode, nor any UI or CLI layer', () => {
    assert.ok(tsFilesUnder(path.join(REPO_ROOT, 'src/core')).length > 0, 'src/core has files to check');
    assert.deepEqual(violations('src/core'), []);
  });

  for (const layer of ['src/cli', 'src/protocol', 'src/webview']) {
    it(`${layer} imports only what the architecture allows`, () => {
      assert.deepEqual(violations(layer), []);
    });
  }
});
