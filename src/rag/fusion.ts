import type { ScoredId } from './types';

/**
 * How much more a dense list weighs than a lexical one in the fusion: on bench:rag-quality's three
 * sets, 2 raised MRR@10 and nDCG@10 on each over equal weights.
 */
export const DENSE_WEIGHT = 2;

/**
 * The reciprocal-rank-fusion constant searches use: smaller lets the top ranks of each list weigh
 * more. 20 was chosen on a development set (@temporalio/common + commander) kept apart from
 * bench:rag's eval set.
 */
export const RRF_K = 20;

/**
 * Reciprocal-rank fusion: each list adds weight / (k + rank) for the ids it ranks (rank from 1);
 * `weights[i]` (default 1) is list i's weight.
 */
export function reciprocalRankFusion(lists: ScoredId[][], k = 60, weights: number[] = []): ScoredId[] {
  const scores = new Map<string, number>();
  lists.forEach((list, l) => {
    const w = weights[l] ?? 1;
    list.forEach((hit, i) => scores.set(hit.id, (scores.get(hit.id) ?? 0) + w / (k + i + 1)));
  });
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/**
 * Lists of the parts of one query (a spec's sections) taken in turns: every list's first, then every
 * list's second, …, each item once (by `key`, at its earliest place). Unlike a fusion by rank sums,
 * a part's best can never be pushed down by items several other parts rank low.
 */
export function interleave<T>(lists: T[][], key: (item: T) => string): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (let rank = 0; lists.some((l) => rank < l.length); rank++) {
    for (const list of lists) {
      const item = list[rank];
      if (item === undefined || seen.has(key(item))) continue;
      seen.add(key(item));
      out.push(item);
    }
  }
  return out;
}

/**
 * Keeps the order but lets no group (a file) hold more than `perGroup` of the first `k` places;
 * the held-back hits fill in after, if places remain.
 */
export function diversify<T>(hits: T[], k: number, groupOf: (hit: T) => string, perGroup = 2): T[] {
  const taken: T[] = [];
  const spill: T[] = [];
  const count = new Map<string, number>();
  for (const h of hits) {
    const g = groupOf(h);
    const c = count.get(g) ?? 0;
    if (c < perGroup) {
      taken.push(h);
      count.set(g, c + 1);
      if (taken.length === k) return taken;
    } else spill.push(h);
  }
  return [...taken, ...spill].slice(0, k);
}

/**
 * `interleave`, but an item after its list's first takes its turn only while its `strength` is at
 * least `share` of the strongest item of any list; the weaker ones follow, in turns among
 * themselves. A part that matches only loosely (a spec's overview) still gives its best item first,
 * and its others wait until the other parts' stronger ones are in.
 */
export function interleaveByStrength<T>(lists: T[][], key: (item: T) => string, strength: (item: T) => number, share: number): T[] {
  const top = Math.max(0, ...lists.flat().map(strength));
  const strong = lists.map((l) => l.filter((item, i) => i === 0 || strength(item) >= share * top));
  const weak = lists.map((l) => l.filter((item, i) => i > 0 && strength(item) < share * top));
  const out: T[] = [];
  const seen = new Set<string>();
  for (const item of [...interleave(strong, key), ...interleave(weak, key)]) {
    if (seen.has(key(item))) continue;
    seen.add(key(item));
    out.push(item);
  }
  return out;
}
