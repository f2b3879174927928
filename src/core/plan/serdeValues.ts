/** Reading values written by the original Rust tool's serde: shared by its plan and session converters. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `InProgress`, `in_progress` and `in-progress` all name the same variant. */
export function variantKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '');
}

/**
 * The variant name of a serde externally tagged enum: a unit variant is written as its name
 * (`"Pending"`), a variant with fields as a one-key object (`{ "Completed": { … } }`).
 */
export function variantOf(value: unknown): { name: string; payload: unknown } | undefined {
  if (typeof value === 'string') {
    return { name: value, payload: undefined };
  }
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const name = keys[0] as string;
      return { name, payload: value[name] };
    }
  }
  return undefined;
}
