/**
 * Entry point that VS Code's extension host calls with the tests path (test-electron, test-cli's
 * desktop runs and the code-server payload all use this `run()` shape). It runs the `*.test.js` bundled
 * next to it with mocha, and prints the counts on one line for the runner. In a trusted folder those are
 * all but `*.restricted.test.js`; in an untrusted one (Restricted Mode) only those.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export function run(): Promise<void> {
  const grep = process.env['ACA_INTEGRATION_GREP'];
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec', ...(grep ? { grep } : {}) });
  const restricted = !vscode.workspace.isTrusted;
  for (const file of readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js') && f.endsWith('.restricted.test.js') === restricted)
    .sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const { passes = 0, pending = 0 } = runner.stats ?? {};
      console.log(`ACA_TEST_STATS ${JSON.stringify({ passes, failures, pending })}`);
      if (failures > 0) {
        reject(new Error(`${failures} integration test(s) failed`));
      } else {
        resolve();
      }
    });
  });
}
