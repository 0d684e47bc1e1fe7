import { matchesFilter, type ChunkFilter, type ChunkMeta, type ScoredId } from '../types';
import type { Int8Scan } from './int8-scan';
import { TopK } from './topk';

/** What the embedded store's searches read: its vectors by slot, which slots are live, their metadata and ids. */
export interface SlotView {
  vectors: Float32Array;
  dims: number;
  live: Uint8Array;
  slots: number;
  meta(slot: number): ChunkMeta;
  id(slot: number): string;
}

/** How many first-pass candidates are re-scored exactly: enough that the int8 estimates' error never costs a true top-k hit. */
export function shortlist(k: number): number {
  return Math.max(1, 4 * k + 64);
}

/** The dot product of `q` with the vector at `base` in `v`, four lanes at a time (unit vectors: the cosine). */
export function dotAt(v: Float32Array, base: number, q: Float32Array, dims: number): number {
  const dims4 = dims & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d < dims4; d += 4) {
    const o = base + d;
    s0 += v[o]! * q[d]!;
    s1 += v[o + 1]! * q[d + 1]!;
    s2 += v[o + 2]! * q[d + 2]!;
    s3 += v[o + 3]! * q[d + 3]!;
  }
  for (; d < dims; d++) s0 += v[base + d]! * q[d]!;
  return s0 + s1 + s2 + s3;
}

/** Exact scores for every live slot that passes the filter; the k best. */
export function exactSearch(s: SlotView, q: Float32Array, k: number, filter?: ChunkFilter): ScoredId[] {
  const top = new TopK(Math.max(1, k));
  let floor = -Infinity;
  for (let slot = 0; slot < s.slots; slot++) {
    if (s.live[slot] === 0) continue;
    if (filter && !matchesFilter(s.meta(slot), filter)) continue;
    const score = dotAt(s.vectors, slot * s.dims, q, s.dims);
    if (score > floor) {
      top.push(slot, score);
      floor = top.floor;
    }
  }
  return top.sorted(s.id);
}

/** int8 estimates for every slot (SIMD), the best `shortlist(k)` that pass the filter re-scored exactly. */
export function shortlistSearch(s: SlotView, quant: Int8Scan, q: Float32Array, k: number, filter?: ChunkFilter): ScoredId[] {
  const { dots, inv } = quant.estimate(q, s.slots);
  const short = new TopK(shortlist(k));
  let floor = -Infinity;
  for (let slot = 0; slot < s.slots; slot++) {
    if (s.live[slot] === 0) continue;
    const estimate = dots[slot]! * inv[slot]!;
    if (estimate <= floor) continue;
    if (filter && !matchesFilter(s.meta(slot), filter)) continue;
    short.push(slot, estimate);
    floor = short.floor;
  }
  const top = new TopK(Math.max(1, k));
  for (const slot of short.slotsHeld()) top.push(slot, dotAt(s.vectors, slot * s.dims, q, s.dims));
  return top.sorted(s.id);
}
