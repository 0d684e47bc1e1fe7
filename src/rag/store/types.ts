import type { ChunkFilter, ChunkMeta, ScoredId } from '../types';

export interface StoredDoc {
  id: string;
  meta: ChunkMeta;
  text: string;
}

export interface StoredPoint extends StoredDoc {
  vector: Float32Array;
}

/**
 * What a store that ranks lexically on its own side offers: BM25 over its points, and dense +
 * BM25 candidates fused by reciprocal rank in one request. A store without it (the embedded one)
 * leaves lexical ranking and fusion to the retriever.
 */
export interface ServerRanking {
  lexicalSearch(query: string, k: number, filter?: ChunkFilter): Promise<ScoredId[]>;
  /** Each ranker contributes `candidates`; the fused list is cut to `candidates` too. */
  hybridSearch(q: { vector: Float32Array; text: string }, opts: { candidates: number; rrfK: number; filter?: ChunkFilter }): Promise<ScoredId[]>;
}

/**
 * One interface for every vector store. Upserts are idempotent by id; `search` returns cosine
 * similarities (vectors are unit length) best first, after the metadata filter.
 */
export interface VectorStore {
  readonly kind: 'embedded' | 'qdrant';
  /** Present when the store ranks lexically and fuses itself (see ServerRanking). */
  readonly ranking?: ServerRanking;
  upsert(points: StoredPoint[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  search(vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ScoredId[]>;
  get(ids: string[]): Promise<StoredDoc[]>;
  /** Every stored chunk without its vector: the client-side lexical index is built from these. */
  documents(): AsyncIterable<StoredDoc>;
  count(): Promise<number>;
  /** Whether the store is still there (a shared one another host may have removed); absent when it cannot go away. */
  stillThere?(): Promise<boolean>;
  drop(): Promise<void>;
  close(): Promise<void>;
}
