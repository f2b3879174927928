/**
 * Checks on data parsed from a file ACA did not write (a plan, aca.toml) before anything reads its fields:
 * no key that reaches an object's prototype, and no nesting deep enough to exhaust the stack of a
 * recursive parser or validator.
 */
import { fieldPath, type Problem } from './problems';

/** Keys that reach or replace an object's prototype: `{"__proto__": {"verify": […]}}` became real verify commands. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Arrays and objects nested deeper than this are refused; real plans and configs nest about 5 deep. */
export const MAX_NESTING = 64;

/**
 * A problem for every forbidden key in `data`, and for nesting deeper than MAX_NESTING (TOML's dotted keys
 * nest without limit), each naming its field path, and its line when `lineOf` knows it. Walked without
 * recursion, and without copying paths, so any input takes linear time. The data must come from a parser
 * that keeps such keys as own properties (JSON.parse, smol-toml). Codes: `<codePrefix>-forbidden-key`,
 * `<codePrefix>-too-deep`.
 */
export function untrustedDataProblems(
  data: unknown,
  file: string,
  codePrefix: string,
  lineOf?: (path: ReadonlyArray<PropertyKey>) => number | undefined,
): Problem[] {
  interface Node {
    readonly value: unknown;
    readonly key: PropertyKey | undefined;
    readonly parent: Node | undefined;
    readonly depth: number;
  }
  const pathOf = (node: Node, last?: PropertyKey): PropertyKey[] => {
    const keys: PropertyKey[] = last === undefined ? [] : [last];
    for (let at: Node | undefined = node; at?.key !== undefined; at = at.parent) {
      keys.push(at.key);
    }
    return keys.reverse();
  };
  const problem = (node: Node, code: string, message: string, last?: PropertyKey): Problem => {
    const path = pathOf(node, last);
    const line = lineOf?.(path);
    return { severity: 'error', code: `${codePrefix}-${code}`, message, file, field: fieldPath(path), ...(line ? { line } : {}) };
  };
  const problems: Problem[] = [];
  const stack: Node[] = [{ value: data, key: undefined, parent: undefined, depth: 0 }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const { value } = node;
    if (typeof value !== 'object' || value === null) {
      continue;
    }
    if (node.depth >= MAX_NESTING) {
      problems.push(problem(node, 'too-deep', `nested more than ${MAX_NESTING} deep`));
      continue;
    }
    const children: Array<[PropertyKey, unknown]> = Array.isArray(value)
      ? value.map((child, index): [PropertyKey, unknown] => [index, child])
      : Object.entries(value);
    for (let index = children.length - 1; index >= 0; index--) {
      const [key, child] = children[index] ?? [];
      if (key === undefined) {
        continue;
      }
      if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) {
        problems.push(problem(node, 'forbidden-key', `the key "${key}" is not allowed`, key));
      } else {
        stack.push({ value: child, key, parent: node, depth: node.depth + 1 });
      }
    }
  }
  return problems;
}

/**
 * The offset in JSON text where arrays and objects first nest deeper than `limit`, or undefined. One pass
 * over the text, strings skipped, before any recursive parser sees it.
 */
export function jsonTooDeepAt(text: string, limit = MAX_NESTING): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) {
        i++;
      } else if (code === 0x22) {
        inString = false;
      }
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) {
        return i;
      }
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return undefined;
}

/**
 * Offset to 1-based line, by binary search over the line starts (found once): a hostile plan may have
 * problems by the ten thousand, and counting lines from the start for each was quadratic.
 */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    starts.push(at + 1);
  }
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= offset) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    return low + 1;
  };
}
