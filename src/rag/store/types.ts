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
 * One interface for every vector store. Upserts are idempotent by id; `search` returns cosine
 * similarities (vectors are unit length) best first, after the metadata filter.
 */
export interface VectorStore {
  readonly kind: 'embedded' | 'qdrant';
  upsert(points: StoredPoint[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  search(vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ScoredId[]>;
  get(ids: string[]): Promise<StoredDoc[]>;
  /** Every stored chunk without its vector: the lexical index is built from these. */
  documents(): AsyncIterable<StoredDoc>;
  count(): Promise<number>;
  drop(): Promise<void>;
  close(): Promise<void>;
}
