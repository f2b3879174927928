/** `target.push(...items)` for any number of items (a spread overflows the stack past about 100 000). */
export function pushAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) {
    target.push(item);
  }
}
