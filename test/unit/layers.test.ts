import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../support/processes';
import { floors } from '../../src/core/floors.json';

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

  describe('the floors of src/core (src/core/floors.json, docs/ARCHITECTURE.md)', () => {
    const core = path.join(REPO_ROOT, 'src', 'core');

    /** Folder-to-folder imports inside src/core, each with the first file that makes it. */
    function folderEdges(): Map<string, string> {
      const edges = new Map<string, string>();
      for (const file of tsFilesUnder(core)) {
        const from = path.relative(core, file).split(path.sep);
        if (from.length < 2) {
          continue; // index.ts: the library's entry re-exports every floor
        }
        for (const specifier of importedModules(readFileSync(file, 'utf8')).filter((s) => s.startsWith('.'))) {
          const to = path.relative(core, path.resolve(path.dirname(file), specifier)).split(path.sep)[0] ?? '';
          if (to !== from[0] && to !== '..' && !edges.has(`${from[0]} -> ${to}`)) {
            edges.set(`${from[0]} -> ${to}`, path.relative(REPO_ROOT, file));
          }
        }
      }
      return edges;
    }

    /** The folders on a loop of imports, if any. */
    function loop(edges: Iterable<string>): string[] | undefined {
      const next = new Map<string, string[]>();
      for (const edge of edges) {
        const [from = '', to = ''] = edge.split(' -> ');
        next.set(from, [...(next.get(from) ?? []), to]);
      }
      const visiting: string[] = [];
      const finished = new Set<string>();
      const visit = (folder: string): string[] | undefined => {
        const at = visiting.indexOf(folder);
        if (at >= 0) {
          return [...visiting.slice(at), folder];
        }
        if (finished.has(folder)) {
          return undefined;
        }
        visiting.push(folder);
        for (const to of next.get(folder) ?? []) {
          const found = visit(to);
          if (found) {
            return found;
          }
        }
        visiting.pop();
        finished.add(folder);
        return undefined;
      };
      for (const folder of next.keys()) {
        const found = visit(folder);
        if (found) {
          return found;
        }
      }
      return undefined;
    }

    it('finds a loop when there is one, so the check below can fail', () => {
      assert.deepEqual(loop(['a -> b', 'b -> c', 'c -> a']), ['a', 'b', 'c', 'a']);
      assert.equal(loop(['a -> b', 'b -> c', 'a -> c']), undefined);
    });

    it('every folder of src/core has a floor', () => {
      const folders = readdirSync(core, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
      assert.deepEqual(
        folders.filter((f) => !floors.includes(f)),
        [],
      );
    });

    it('no import runs up a floor', () => {
      const up = [...folderEdges()].filter(([edge]) => {
        const [from = '', to = ''] = edge.split(' -> ');
        return floors.indexOf(to) > floors.indexOf(from);
      });
      assert.deepEqual(
        up.map(([edge, file]) => `${edge} (${file})`),
        [],
      );
    });

    it('the folders of src/core form no loop', () => {
      assert.equal(loop(folderEdges().keys()), undefined);
    });
  });
});
