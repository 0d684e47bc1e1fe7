/**
 * Loop detection for a small model's free text. At temperature 0 a tiny model often falls into a
 * loop, writing one block again and again until the token limit (seen here: 9,000 characters of
 * the same 300-character plan inside one agent turn, minutes of CPU). A loop is the text ending in
 * back-to-back exact copies of one block; the answer is kept up to the end of the first copy.
 */
export interface RepetitionLimits {
  /** Shortest block that counts (shorter periods are runs like "----" or "    "). */
  minPeriod: number;
  /** Longest block looked for. */
  maxPeriod: number;
  /** Copies in a row that make a loop. */
  minCopies: number;
  /** Characters the copies must span together, so a short block needs many copies. */
  minSpan: number;
}

export const REPETITION_LIMITS: RepetitionLimits = { minPeriod: 8, maxPeriod: 2000, minCopies: 3, minSpan: 300 };

/** The text's last characters, looked for earlier in it to find candidate block lengths. */
const PROBE = 24;

/**
 * Where the text's looping tail can be cut, keeping the first copy of the repeated block: the
 * index just past that copy; undefined when the text does not end in a loop.
 */
export function loopCut(text: string, limits: RepetitionLimits = REPETITION_LIMITS): number | undefined {
  const n = text.length;
  if (n < Math.max(limits.minSpan, PROBE + limits.minPeriod)) return undefined;
  const probe = text.slice(n - PROBE);
  // Each earlier occurrence of the probe proposes a block length: the distance to it.
  for (let from = n - PROBE - limits.minPeriod; from >= 0; ) {
    const at = text.lastIndexOf(probe, from);
    if (at < 0) break;
    const period = n - PROBE - at;
    if (period > limits.maxPeriod) break;
    // How far back the text stays periodic with this length.
    let same = 0;
    while (same < n - period && text.charCodeAt(n - 1 - same) === text.charCodeAt(n - 1 - same - period)) same++;
    const span = same + period;
    if (span >= limits.minSpan && span >= limits.minCopies * period) return n - span + period;
    from = at - 1;
  }
  return undefined;
}
