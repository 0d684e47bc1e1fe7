import { documentTerms, queryTerms } from '../bm25';
import { MIN_NORM_TERMS } from '../lexical';
import type { ChunkMeta } from '../types';

/**
 * BM25 as sparse vectors, for a store that ranks lexically on its own side (Qdrant with the
 * `idf` modifier): a document's vector holds each term's saturated, length-normalised frequency
 * and the server multiplies in the inverse document frequency, which it keeps current as points
 * come and go. Terms are the lexical index's own (`documentTerms`, `queryTerms`), hashed to 32 bits.
 */
export interface SparseVector {
  indices: number[];
  values: number[];
}

const K1 = 1.2;
const B = 0.75;
/** The length a chunk's terms are normalised against: chunks are cut to about this many terms. */
const AVG_TERMS = 120;

/** FNV-1a, 32 bits: a term's dimension. */
export function termIndex(term: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) {
    h ^= term.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function counts(terms: string[]): Map<number, number> {
  const tf = new Map<number, number>();
  for (const t of terms) {
    const i = termIndex(t);
    tf.set(i, (tf.get(i) ?? 0) + 1);
  }
  return tf;
}

export function documentSparse(text: string, meta: Pick<ChunkMeta, 'path' | 'symbol'>): SparseVector {
  const terms = documentTerms(text, meta);
  const norm = K1 * (1 - B + (B * Math.max(terms.length, MIN_NORM_TERMS)) / AVG_TERMS);
  const out: SparseVector = { indices: [], values: [] };
  for (const [i, tf] of counts(terms)) {
    out.indices.push(i);
    out.values.push((tf * (K1 + 1)) / (tf + norm));
  }
  return out;
}

/** A query's vector: each distinct term once, weight 1 (the server's IDF does the weighting). */
export function querySparse(query: string): SparseVector {
  const indices = [...counts(queryTerms(query)).keys()];
  return { indices, values: indices.map(() => 1) };
}
