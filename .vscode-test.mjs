// For contributors with a desktop VS Code (it downloads one): `npm run test:vscode-desktop` runs the
// same integration suite that `npm test` runs inside code-server. Build it first: `node esbuild.mjs --tests`.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'integration',
  files: 'out/test/integration/**/*.test.js',
  workspaceFolder: './test/fixtures/workspace',
  version: '1.100.3',
  mocha: { ui: 'bdd', timeout: 30000, color: true },
});
