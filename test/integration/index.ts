/**
 * Entry point that VS Code's extension host calls with the tests path (test-electron, test-cli's
 * desktop runs and the code-server payload all use this `run()` shape). It runs every
 * `*.test.js` bundled next to it with mocha, and prints the counts on one line for the runner.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
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
