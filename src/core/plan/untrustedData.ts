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
 * A problem for every forbidden key in `data` (walked without recursion), naming its field path, and its
 * line when `lineOf` knows it. The data must come from a parser that keeps such keys as own properties.
 */
export function forbiddenKeyProblems(data: unknown, file: string, code: string, lineOf?: (path: ReadonlyArray<PropertyKey>) => number | undefined): Problem[] {
  const problems: Problem[] = [];
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value: data, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        stack.push({ value: value[index] as unknown, path: [...path, index] });
      }
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let index = entries.length - 1; index >= 0; index--) {
        const [key, child] = entries[index]!;
        if (FORBIDDEN_KEYS.has(key)) {
          const line = lineOf?.([...path, key]);
          problems.push({ severity: 'error', code, message: `the key "${key}" is not allowed`, file, field: fieldPath([...path, key]), ...(line ? { line } : {}) });
        } else {
          stack.push({ value: child as unknown, path: [...path, key] });
        }
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
