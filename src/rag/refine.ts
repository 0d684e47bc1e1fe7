import { EmbeddingCache, embedCached } from './embed/cache';
import type { EmbeddingProvider } from './embed/provider';
import { reciprocalRankFusion } from './fusion';
import type { ScoredId } from './types';

/**
 * Two-stage dense ranking. A knowledge base indexed with the fast static model (minilm-static:
 * no transformer per chunk, so a big folder is indexed in seconds) ranks its candidates with
 * that model, and then the transformer it was distilled from scores the top `window` of them
 * against the query. Only those chunks ever run through the transformer, each once: their vectors
 * are kept in the embedding cache, so a chunk found again costs a cache read.
 *
 * On bench:rag-quality this takes the static model's hybrid recall@5 from .805/.875/.909 to
 * .902/.950/.939 (npm/PyPI/docs), level with MiniLM's own hybrid (.927/.925/.909).
 */
export interface Refiner {
  /** The stronger model's id. */
  readonly id: string;
  /** The cosine of `query` with each text under the stronger model. */
  similarities(query: string, texts: string[], signal?: AbortSignal): Promise<number[]>;
}

/** How many of the first stage's candidates are scored again, at least (a larger k scores k). */
export const REFINE_WINDOW = 30;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** A refiner over `embedder` whose chunk vectors are kept in `cache` (the model's own embedding cache). */
export function cachedRefiner(embedder: EmbeddingProvider, cache: EmbeddingCache): Refiner {
  return {
    id: embedder.id,
    async similarities(query, texts, signal) {
      const [q] = await embedder.embed([query], signal);
      const { vectors } = await embedCached(embedder, cache, texts, signal);
      return vectors.map((v) => dot(v, q!));
    },
  };
}

/**
 * The second stage's order: `head` (the first stage's best, with their similarities under the
 * stronger model) sorted by them, fused by reciprocal rank with the lexical lists (dense counting
 * `denseWeight` times each), then the rest of the first stage's candidates in their order. With
 * no lexical lists (dense search) the re-sorted head is followed by the rest.
 */
export function refinedOrder(
  head: ScoredId[],
  similarities: number[],
  rest: ScoredId[],
  lexical: ScoredId[][],
  rrfK: number,
  denseWeight: number,
): ScoredId[] {
  const dense = head.map((h, i) => ({ id: h.id, score: similarities[i]! })).sort((a, b) => b.score - a.score);
  const front = lexical.length ? reciprocalRankFusion([dense, ...lexical], rrfK, [denseWeight, ...lexical.map(() => 1)]) : dense;
  const seen = new Set(front.map((r) => r.id));
  return [...front, ...rest.filter((r) => !seen.has(r.id))];
}
