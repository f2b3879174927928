/**
 * What the allowlist of ACA's agent loop lets through, and what it does not. The allowlist is not a
 * confinement: an allowed build tool or interpreter runs whatever code the agent writes into the folder.
 * What ACA adds around it:
 * - commands run with an environment stripped of secrets (`commandEnvironment`), so a command the agent
 *   starts cannot print the API keys and tokens of ACA or of the user;
 * - inline code (`node -e`, `python3 -c`, `bash -c`, `npx` of a package the workspace does not have…) is
 *   asked about even when the program is allowed (`inlineCodeReason`), so the user sees the code first;
 * - the file-reading programs (`cat`, `ls`, `grep`…) get only paths inside the task's folder (`pathArguments`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { redactSecrets } from '../common/logger';
import { readRegularFile } from '../common/untrustedFile';

/** Names whose `_`-separated parts say "secret": `OPENAI_API_KEY`, `GH_TOKEN`, `DB_PASSWORD`, `AWS_SECRET_ACCESS_KEY`. */
const SECRET_NAME_PARTS = new Set([
  'KEY',
  'KEYS',
  'APIKEY',
  'TOKEN',
  'TOKENS',
  'SECRET',
  'SECRETS',
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'CREDENTIAL',
  'CREDENTIALS',
  'AUTH',
  'AUTHTOKEN',
  'PAT',
  'COOKIE',
]);
/** …and names that end like one (`npm_config_//registry/:_authToken`, `SOMEAPIKEY`). */
const SECRET_NAME_END = /(key|token|secret|password|passwd|credentials?)$/i;
/** The providers' and ACA's own settings: keys, endpoints and paths the agent has no business with. */
const OWN_PREFIXES = ['ANTHROPIC_', 'OPENAI_', 'CLAUDE_', 'CODEX_', 'ACA_', 'LOCAL_MODEL_'];

/**
 * Whether an environment variable is kept for a command the agent (or a verify command) runs: not when its
 * name says secret or belongs to ACA or a provider, nor when its value looks like a key or a URL with a
 * password (the redaction patterns of the logger). PATH, HOME, LANG, tool settings (GOPATH, JAVA_HOME…) stay.
 */
export function isSafeVariable(name: string, value: string): boolean {
  const upper = name.toUpperCase();
  if (OWN_PREFIXES.some((prefix) => upper.startsWith(prefix))) {
    return false;
  }
  if (upper.split(/[^A-Z0-9]+/).some((part) => SECRET_NAME_PARTS.has(part)) || SECRET_NAME_END.test(name)) {
    return false;
  }
  return redactSecrets(value) === value;
}

/** `env` without the variables `isSafeVariable` drops: pass it with `extendEnv: false`. */
export function commandEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && isSafeVariable(name, value)) {
      kept[name] = value;
    }
  }
  return kept;
}

/** Programs that read the files named in their arguments: on the allowlist, only for paths inside the folder. */
export const FILE_READING_PROGRAMS: readonly string[] = [
  'cat',
  'head',
  'tail',
  'ls',
  'grep',
  'egrep',
  'fgrep',
  'rg',
  'find',
  'wc',
  'stat',
  'file',
  'tree',
  'less',
  'more',
  'diff',
  'cmp',
  'sort',
  'uniq',
  'cut',
  'nl',
  'od',
  'xxd',
  'hexdump',
  'strings',
  'du',
  'md5sum',
  'sha1sum',
  'sha256sum',
  'base64',
  'realpath',
  'readlink',
];

/** Flags that take code, per interpreter (by the program's base name). */
const INLINE_CODE_FLAGS: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/^(node|nodejs|bun)$/, ['-e', '--eval', '-p', '--print']],
  [/^python(\d+(\.\d+)?)?$|^pypy\d*$/, ['-c']],
  [/^(ruby|perl)$/, ['-e', '-E']],
  [/^php$/, ['-r']],
  [/^(bash|sh|dash|zsh|ksh|fish|pwsh|powershell)$/, ['-c', '-Command', '-EncodedCommand']],
  [/^(osascript)$/, ['-e']],
];
/** Flags that take a value, so that the value is not read as the script (and the scan goes on past it). */
const VALUE_FLAGS = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--input-type',
  '-W',
  '-X',
  '--check-hash-based-pycs',
  '-I',
]);
/** Commands that run a package by name, downloading it when the workspace does not have it. */
const PACKAGE_RUNNERS: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/^(npx|bunx)$/, []],
  [/^(pnpm|yarn)$/, ['dlx']],
  [/^npm$/, ['exec', 'x']],
  [/^bun$/, ['x']],
];

/**
 * Why `argv` runs code that is not in a file of the folder (and so is asked about even when its program is
 * allowed), or undefined. `root` is the task's folder, whose package.json and node_modules/.bin say which
 * packages `npx` and the like find locally.
 */
export async function inlineCodeReason(argv: readonly string[], root: string): Promise<string | undefined> {
  const program = path.basename(argv[0] ?? '').replace(/\.(exe|cmd)$/i, '');
  const args = argv.slice(1);
  const flags = INLINE_CODE_FLAGS.find(([name]) => name.test(program))?.[1];
  if (flags) {
    // Options come before the script; what follows the script is the script's own.
    for (let i = 0, arg = args[0]; arg !== undefined; arg = args[++i]) {
      if (arg === '--' || !arg.startsWith('-') || arg === '-') {
        break;
      }
      if (/^python|^pypy/.test(program) && /^-m/.test(arg)) {
        break; // a module of the environment (`python3 -m pytest`): its arguments are its own
      }
      // `-e`, `--eval=…`, and a cluster of short flags with one of them (`-pe`, `bash -lc`).
      const [flag = arg] = arg.split('=', 1);
      const cluster = !arg.startsWith('--') && /^-[a-zA-Z]{2,}$/.test(arg) && flags.some((f) => f.length === 2 && arg.includes(f.charAt(1)));
      if (flags.includes(flag) || cluster) {
        return `${program} ${arg} runs code given on the command line`;
      }
      if (VALUE_FLAGS.has(arg)) {
        i++;
      }
    }
  }
  if (program === 'deno' && ['eval', 'repl'].includes(args[0] ?? '')) {
    return `deno ${args[0]} runs code given on the command line`;
  }
  if (/^(awk|gawk|mawk|nawk)$/.test(program)) {
    return `${program} runs the program given on the command line`;
  }
  if (program === 'find' && args.some((arg) => /^-(exec|execdir|ok|okdir|delete|fprint|fprint0|fprintf|fls)$/.test(arg))) {
    return 'find with -exec, -ok, -delete or -fprint runs commands or changes files';
  }
  const runner = PACKAGE_RUNNERS.find(([name]) => name.test(program));
  if (runner) {
    const [, subcommands] = runner;
    if (subcommands.length > 0 && !subcommands.includes(args[0] ?? '')) {
      return undefined; // `npm test`, `pnpm install`: the workspace's own scripts
    }
    const rest = subcommands.length > 0 ? args.slice(1) : args;
    if (rest.some((arg) => arg === '-c' || arg === '--call' || arg.startsWith('--call='))) {
      return `${program} -c runs a shell command given on the command line`;
    }
    const packages = packageArguments(rest);
    let unknown: string | undefined;
    for (const name of packages) {
      if (!(await workspaceHasPackage(root, name))) {
        unknown = name;
        break;
      }
    }
    if (packages.length === 0 || unknown !== undefined) {
      return `${program} would fetch and run ${unknown ?? 'a package'}, which the workspace does not have`;
    }
  }
  return undefined;
}

/** The packages a package runner is asked for: `-p`/`--package` values, else its first argument. */
function packageArguments(args: readonly string[]): string[] {
  const named: string[] = [];
  let command: string | undefined;
  for (let i = 0, arg = args[0]; arg !== undefined; arg = args[++i]) {
    if (arg === '-p' || arg === '--package') {
      named.push(args[++i] ?? '');
    } else if (arg.startsWith('--package=')) {
      named.push(arg.slice('--package='.length));
    } else if (arg === '--') {
      command ??= args[i + 1];
      break;
    } else if (!arg.startsWith('-')) {
      command = arg;
      break;
    }
  }
  return named.length > 0 ? named : command !== undefined ? [command] : [];
}

const MAX_MANIFEST_BYTES = 1024 * 1024;

/** True when `spec` (`tsc`, `eslint@9`, `@scope/pkg`) is a dependency in package.json or a program in node_modules/.bin. */
async function workspaceHasPackage(root: string, spec: string): Promise<boolean> {
  const name = spec.replace(/(.)@.*$/, '$1');
  if (!/^(@[\w-][\w.-]*\/)?[\w-][\w.-]*$/.test(name)) {
    return false; // a path, a URL or a git spec: never the workspace's own
  }
  if (existsSync(path.join(root, 'node_modules', '.bin', name))) {
    return true;
  }
  try {
    const manifest = JSON.parse((await readRegularFile(path.join(root, 'package.json'), MAX_MANIFEST_BYTES)).toString('utf8')) as Record<string, unknown>;
    return ['dependencies', 'devDependencies', 'optionalDependencies'].some((field) => {
      const deps = manifest[field];
      return typeof deps === 'object' && deps !== null && Object.hasOwn(deps, name);
    });
  } catch {
    return false; // no readable package.json (or not JSON): the package is not the workspace's
  }
}

/**
 * The arguments of a file-reading program that may name a file: every argument that is not an option, and
 * the value of `--opt=value` or of `-xVALUE` when it looks like a path. (A search pattern is checked too: a
 * pattern that reads like a path outside is refused, the search_text tool remains.)
 */
export function pathArguments(args: readonly string[]): string[] {
  const paths: string[] = [];
  for (const arg of args) {
    if (!arg.startsWith('-')) {
      paths.push(arg);
    } else if (arg.startsWith('--') && arg.includes('=')) {
      paths.push(arg.slice(arg.indexOf('=') + 1));
    } else if (!arg.startsWith('--') && arg.length > 2 && /[/\\~]|\.\./.test(arg.slice(2))) {
      paths.push(arg.slice(2));
    }
  }
  return paths;
}

/** Whether `program` gets its path arguments checked (by base name). */
export function isFileReadingProgram(program: string): boolean {
  return FILE_READING_PROGRAMS.includes(path.basename(program));
}

/**
 * The commands that run without asking under `allowed` (the agent loop's allowlist), one line each, with
 * what is still asked about or refused: for the run confirmation.
 */
export function describeAllowlist(allowed: readonly string[]): string[] {
  const limits = (program: string): string => {
    const notes: string[] = [];
    const flags = INLINE_CODE_FLAGS.find(([name]) => name.test(program))?.[1];
    if (flags) {
      notes.push(`inline code (${flags.map((flag) => `${program} ${flag}`).join(', ')}) is asked about`);
    }
    if (PACKAGE_RUNNERS.some(([name]) => name.test(program))) {
      notes.push('packages the workspace does not have are asked about');
    }
    if (isFileReadingProgram(program)) {
      notes.push("only paths inside the task's folder");
    }
    return notes.length > 0 ? `${program} (${notes.join('; ')})` : program;
  };
  if (allowed.includes('*')) {
    return [
      "every program (inline code such as node -e or python3 -c, and npx of packages the workspace does not have, are still asked about; file-reading programs only get paths inside the task's folder)",
    ];
  }
  return [...new Set(allowed)].map(limits);
}
