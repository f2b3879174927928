// A local ESLint rule, as VS Code and vscode-copilot-chat keep their layers: a folder of src/core imports only
// the folders on floors below its own (src/core/floors.json), so the folders never form a loop; and the core
// never imports a face (extension, cli, webview, protocol).
import { readFileSync } from 'node:fs';
import path from 'node:path';

const CORE = path.join(import.meta.dirname, '..', 'src', 'core');
const { floors } = JSON.parse(readFileSync(path.join(CORE, 'floors.json'), 'utf8'));
const FACES = ['extension', 'cli', 'webview', 'protocol'];

/** `[folder of the importer, folder of the imported]` inside src/core, or undefined outside it. */
function folders(file, specifier) {
  if (!specifier.startsWith('.')) {
    return undefined;
  }
  const from = path.relative(CORE, file).split(path.sep);
  if (from[0] === '..' || from.length < 2) {
    return undefined; // outside src/core, or its entry (index.ts), which is the public face of every floor
  }
  const to = path.relative(CORE, path.resolve(path.dirname(file), specifier)).split(path.sep);
  return [from[0], to[0] === '..' ? `../${to[1]}` : to[0]];
}

const rule = {
  meta: { type: 'problem', schema: [], messages: { up: '{{message}}' } },
  create(context) {
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') {
        return;
      }
      const pair = folders(context.filename, source.value);
      if (!pair || pair[0] === pair[1]) {
        return;
      }
      const [from, to] = pair;
      if (to.startsWith('../')) {
        if (FACES.includes(to.slice(3))) {
          context.report({ node, messageId: 'up', data: { message: `src/core never imports a face: src/core/${from} imports src/${to.slice(3)}` } });
        }
        return;
      }
      const [fromFloor, toFloor] = [floors.indexOf(from), floors.indexOf(to)];
      if (fromFloor < 0 || toFloor < 0) {
        context.report({ node, messageId: 'up', data: { message: `src/core/${fromFloor < 0 ? from : to} has no floor: add it to src/core/floors.json` } });
      } else if (toFloor > fromFloor) {
        context.report({
          node,
          messageId: 'up',
          data: {
            message: `src/core/${from} (floor ${fromFloor}) may not import src/core/${to} (floor ${toFloor}): imports point down (docs/ARCHITECTURE.md)`,
          },
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};

export default { rules: { floors: rule } };
