import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AcaApi } from '../../src/extension/api';

// Runs first (file order): no parse has loaded the parser bundle, no run or analysis the runtime bundle yet. Times are the bench's
// (npm run bench); here only what activation loads.
describe('activation loads only what it shows', () => {
  it('activates without loading the parser (dist/parser.js) or the runtime bundle (engine, providers, AI SDK), and logs how long activate() took', async () => {
    const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
    assert.ok(extension);
    const api = await extension.activate();
    const loaded = Object.keys(require.cache);
    assert.ok(
      loaded.some((file) => file.endsWith('/dist/extension.js')),
      'dist/extension.js is loaded',
    );
    assert.deepEqual(
      loaded.filter((file) => file.endsWith('/dist/runtime.js') || file.endsWith('/dist/parser.js')),
      [],
      'dist/runtime.js and dist/parser.js are not loaded',
    );
    assert.ok(
      api.recentLogLines().some((line) => /activate\(\) took \d+(\.\d+)? ms/.test(line)),
      JSON.stringify(api.recentLogLines()),
    );
  });
});
