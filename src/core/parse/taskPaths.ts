/**
 * Paths in task text (rule 9 of the README): which tokens name files, the paths a line names, and the
 * seed's `text -> path` arrow. One pass over the line each, hand scans and bounded patterns only.
 */

/** Extensions a plain (not backticked) name without a `/` must have to count as a file. */
const SOURCE_EXTENSIONS = new Set(
  (
    'py pyi ipynb js mjs cjs jsx ts mts cts tsx vue svelte astro java kt kts scala groovy gradle go rs c h cc cpp cxx hpp hh cs ' +
    'csproj sln fs swift rb erb php pl lua dart ex exs erl hs clj elm nim zig sol sh bash zsh fish ps1 bat cmd sql prisma ' +
    'graphql gql proto html htm css scss sass less md mdx markdown rst txt adoc json jsonc json5 yaml yml toml ini cfg conf ' +
    'env xml csv tsv lock tf tfvars hcl dockerfile mk cmake nix svg png jpg jpeg gif ico webp pdf wasm db sqlite log ' +
    'properties plist gemspec tex bib ejs hbs pug twig j2 jinja tmpl tpl http mod sum'
  ).split(' '),
);
/** Dot-files whose name is also an extension: `.env` is a file, `.cpp` a kind of file. */
const DOT_FILES_NAMED_LIKE_EXTENSIONS = new Set(['env']);
/** Product names written like files: Node.js, Vue.js, Next.js. */
const PRODUCT_EXTENSIONS = new Set(['js']);

/**
 * Whether a token names a file (rule 9): with a `/` and a file extension (`src/models/user.py`); without a
 * `/`, a known extension (`package.json`, `hello.py`), or a backticked dot-file (`` `.gitignore` ``). Not
 * URLs, version numbers (`1.2.3`, `v2.0`), `e.g.`, or `Node.js`-style names.
 */
export function isPath(token: string, backticked: boolean): boolean {
  if (
    token.length === 0 ||
    token.length > 260 ||
    /[\s<>{}()[\]*?|"'$=,;!]/.test(token) ||
    token.includes('://') ||
    token.startsWith('//') ||
    /^www\./i.test(token)
  ) {
    return false;
  }
  const slash = token.lastIndexOf('/');
  const name = token.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  if (dot === -1 || dot === name.length - 1) {
    return false;
  }
  if (name.indexOf('.') === 0 && name.length > 1) {
    // A dot-file: `.gitignore`, `.clang-format`, `config/.env`; but a backticked `.cpp` alone names a
    // kind of file (an extension), not a file.
    const rest = name.slice(1);
    if (
      !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(rest) ||
      (slash === -1 && SOURCE_EXTENSIONS.has(rest.toLowerCase()) && !DOT_FILES_NAMED_LIKE_EXTENSIONS.has(rest))
    ) {
      return false;
    }
    return backticked || slash !== -1;
  }
  const extension = name.slice(dot + 1);
  if (!/^[A-Za-z][A-Za-z0-9]{0,9}$/.test(extension)) {
    return false;
  }
  if (slash !== -1) {
    return slash > 0 || token.length > 1;
  }
  if (!SOURCE_EXTENSIONS.has(extension)) {
    return false;
  }
  return backticked || !(PRODUCT_EXTENSIONS.has(extension) && /^[A-Z]/.test(name));
}

/**
 * The paths a line names (rule 9), in order of appearance, each once: backticked spans and plain
 * words, trimmed of the punctuation around them. One pass.
 */
/** `a.ts:12`, `a.ts:12:3`, `a.sh:94,100`, `a.ts:12-40` name the file `a.ts`. */
function withoutLineNumbers(token: string): string {
  return token.replace(/:\d+(?:[-,:]\d+)*$/, '');
}

export function pathsInLine(line: string): string[] {
  const found: string[] = [];
  const add = (raw: string, backticked: boolean): void => {
    const token = backticked ? raw.trim() : trimPunctuation(raw);
    const withoutLine = withoutLineNumbers(token);
    if (isPath(withoutLine, backticked) && !found.includes(withoutLine)) {
      found.push(withoutLine);
    }
  };
  // Only words with a dot can name a file: the others are never cut out of the line (no garbage).
  let wordStart = -1;
  let wordDot = false;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 32;
    if (c === 0x60 /* ` */) {
      if (wordStart !== -1 && wordDot) {
        add(line.slice(wordStart, i), false);
      }
      wordStart = -1;
      const close = line.indexOf('`', i + 1);
      if (close === -1) {
        continue;
      }
      let dot = false;
      for (let j = i + 1; j < close && !dot; j++) {
        dot = line.charCodeAt(j) === 0x2e;
      }
      if (dot) {
        const span = line.slice(i + 1, close);
        if (isPath(withoutLineNumbers(span.trim()), true)) {
          add(span, true);
        } else {
          // Code that holds paths: `['src/a.ts', 'b/c.md']`, `src/cli/vpn.rs::on_command()`; read like
          // plain words (`.int` of `z.number().int()` is no dot-file).
          for (const piece of span.split(/[\s'"`,;:()[\]{}<>=]+/)) {
            if (piece.includes('.')) {
              add(piece, false);
            }
          }
        }
      }
      i = close;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (wordStart !== -1 && wordDot) {
        add(line.slice(wordStart, i), false);
      }
      wordStart = -1;
    } else {
      if (wordStart === -1) {
        wordStart = i;
        wordDot = false;
      }
      wordDot ||= c === 0x2e;
    }
  }
  return found;
}

function trimPunctuation(word: string): string {
  return trimCharacters(word, '([{<"\'*_', ')]}>"\'*_,;:.!?');
}

/** `text` without the `leading` characters at its start and the `trailing` ones at its end (a hand scan: linear). */
export function trimCharacters(text: string, leading: string, trailing: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && leading.includes(text.charAt(start))) {
    start++;
  }
  while (end > start && trailing.includes(text.charAt(end - 1))) {
    end--;
  }
  return text.slice(start, end);
}

/**
 * A `text -> path` (or `→`) reference at the end of a line: the first arrow, after a blank, that the rest
 * of the line follows as a single path (backticks allowed). `T030 → T031` and `` `a` → `b` `` are prose:
 * undefined. `index` is where the blanks before the arrow start. One pass.
 */
export function pathArrow(line: string): { index: number; target: string } | undefined {
  let end = line.length;
  while (end > 0 && isBlank(line.charCodeAt(end - 1))) {
    end--;
  }
  // The rest after an arrow is one token when it starts after the last blank of the line.
  let lastBreak = -1;
  for (let i = end - 1; i >= 0; i--) {
    const c = line.charCodeAt(i);
    if (isBlank(c) || c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      lastBreak = i;
      break;
    }
  }
  for (let i = 1; i < end; i++) {
    const arrowLength = line.charCodeAt(i) === 0x2192 ? 1 : line.startsWith('->', i) ? 2 : 0;
    if (arrowLength === 0 || !isBlank(line.charCodeAt(i - 1))) {
      continue;
    }
    let start = i + arrowLength;
    while (start < end && isBlank(line.charCodeAt(start))) {
      start++;
    }
    if (start >= end || start <= lastBreak) {
      continue;
    }
    let target = line.slice(start, end);
    const backticked = target.length > 2 && target.startsWith('`') && target.endsWith('`');
    if (backticked) {
      target = target.slice(1, -1);
    }
    // An arrow names a file explicitly: any extension will do, or a `/`.
    if (!isArrowTarget(target)) {
      return undefined;
    }
    let index = i - 1;
    while (index > 0 && isBlank(line.charCodeAt(index - 1))) {
      index--;
    }
    return { index, target };
  }
  return undefined;
}

/** What an arrow may point at: a path with a `/` or a file extension (`notes.txt`, `./a`), not a URL. */
function isArrowTarget(target: string): boolean {
  if (/[\s()[\]<>{}"'|*?]/.test(target) || target.includes('://')) {
    return false;
  }
  const slash = target.lastIndexOf('/');
  const name = target.slice(slash + 1);
  return name.length > 0 && (slash !== -1 || /.\.[A-Za-z][A-Za-z0-9]{0,9}$/.test(name));
}

/** A space or a tab. */
export function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}
