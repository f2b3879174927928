/**
 * Near-identical tasks: reported always, merged only when the user asks. Similarity is the Sørensen–Dice
 * coefficient over character bigrams of the normalised titles (lower case, Unicode letters and digits
 * only, single spaces). Pairs at or above DUPLICATE_THRESHOLD (0.9) are duplicates. Deterministic: the
 * same plan always gives the same pairs and the same merge. Plans with more than FUZZY_LIMIT leaf tasks
 * are checked for identical normalised titles only.
 */
import type { Plan, Task } from '../model/plan';

export const DUPLICATE_THRESHOLD = 0.9;

export interface DuplicatePair {
  /** The task that stays on merge: the earlier one in the plan. */
  readonly keep: string;
  readonly drop: string;
  readonly similarity: number;
}

export function normaliseTitle(title: string): string {
  return title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Character-bigram counts of a normalised title. */
function bigramsOf(normalised: string): Map<string, number> {
  const counts = new Map<string, number>();
  let previous: string | undefined;
  for (const char of normalised) {
    if (previous !== undefined) {
      const gram = previous + char;
      counts.set(gram, (counts.get(gram) ?? 0) + 1);
    }
    previous = char;
  }
  return counts;
}

function dice(a: Map<string, number>, b: Map<string, number>): number {
  let overlap = 0;
  let total = 0;
  for (const [gram, count] of a) {
    overlap += Math.min(count, b.get(gram) ?? 0);
    total += count;
  }
  for (const count of b.values()) {
    total += count;
  }
  return total === 0 ? 0 : (2 * overlap) / total;
}

export function titleSimilarity(a: string, b: string): number {
  const x = normaliseTitle(a);
  const y = normaliseTitle(b);
  return x === y ? 1 : dice(bigramsOf(x), bigramsOf(y));
}

/** Above this many leaf tasks only identical (normalised) titles are compared: pairwise is O(n²). */
export const FUZZY_LIMIT = 2000;

export interface DuplicateReport {
  readonly pairs: DuplicatePair[];
  /** False when the plan was too large for the pairwise comparison (see FUZZY_LIMIT). */
  readonly fuzzy: boolean;
}

/** Pairs of leaf tasks (groups are not compared) whose titles are near-identical. */
export function findDuplicates(tasks: readonly Task[], threshold = DUPLICATE_THRESHOLD): DuplicatePair[] {
  return findDuplicatesReport(tasks, threshold).pairs;
}

export function findDuplicatesReport(tasks: readonly Task[], threshold = DUPLICATE_THRESHOLD): DuplicateReport {
  const parents = new Set(tasks.map((t) => t.parent).filter((p): p is string => p !== null));
  const leaves = tasks.filter((t) => !parents.has(t.id)).map((t) => ({ id: t.id, title: normaliseTitle(t.title) }));
  const pairs: DuplicatePair[] = [];
  const dropped = new Set<string>();
  const fuzzy = leaves.length <= FUZZY_LIMIT;
  if (!fuzzy) {
    // Identical normalised titles only: linear.
    const first = new Map<string, string>();
    for (const leaf of leaves) {
      const keep = first.get(leaf.title);
      if (keep === undefined) {
        first.set(leaf.title, leaf.id);
      } else {
        pairs.push({ keep, drop: leaf.id, similarity: 1 });
      }
    }
    return { pairs, fuzzy };
  }
  const grams = leaves.map((leaf) => bigramsOf(leaf.title));
  for (let i = 0; i < leaves.length; i++) {
    const a = leaves[i];
    const aGrams = grams[i];
    if (a === undefined || aGrams === undefined || dropped.has(a.id)) {
      continue;
    }
    for (let j = i + 1; j < leaves.length; j++) {
      const b = leaves[j];
      const bGrams = grams[j];
      if (b === undefined || bGrams === undefined || dropped.has(b.id)) {
        continue;
      }
      const similarity = a.title === b.title ? 1 : dice(aGrams, bGrams);
      if (similarity >= threshold) {
        pairs.push({ keep: a.id, drop: b.id, similarity: Math.round(similarity * 1000) / 1000 });
        dropped.add(b.id);
      }
    }
  }
  return { pairs, fuzzy };
}

/**
 * Merges each pair: the kept task gains the dropped one's dependencies, references, requirements,
 * validations, verify commands and description; tasks that depended on the dropped one depend on the
 * kept one. Returns a new plan.
 */
export function mergeDuplicates(plan: Plan, pairs: readonly DuplicatePair[]): Plan {
  const replacement = new Map(pairs.map((p) => [p.drop, p.keep]));
  const resolve = (id: string): string => {
    let current = id;
    for (let next = replacement.get(current); next !== undefined; next = replacement.get(current)) {
      current = next;
    }
    return current;
  };
  const tasks = plan.tasks.map((t) => structuredClone(t));
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const pair of pairs) {
    const keep = byId.get(resolve(pair.keep));
    const drop = byId.get(pair.drop);
    if (!keep || !drop) {
      continue;
    }
    keep.dependsOn = union(keep.dependsOn, drop.dependsOn);
    keep.references = [...keep.references, ...drop.references.filter((r) => !keep.references.some((k) => k.path === r.path))];
    keep.requirements = union(keep.requirements, drop.requirements);
    keep.validates = union(keep.validates, drop.validates);
    keep.verify = union(keep.verify, drop.verify);
    if (drop.description && !keep.description.includes(drop.description)) {
      keep.description = keep.description ? `${keep.description}\n\n${drop.description}` : drop.description;
    }
  }
  const kept = tasks.filter((t) => !replacement.has(t.id));
  for (const task of kept) {
    task.dependsOn = union(
      [],
      task.dependsOn.map(resolve).filter((d) => d !== task.id),
    );
    if (task.parent !== null) {
      task.parent = resolve(task.parent);
    }
  }
  return { ...plan, tasks: kept };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
