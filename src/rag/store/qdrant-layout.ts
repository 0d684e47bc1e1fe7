import { AimlError } from '../../errors';
import type { ChunkFilter, ChunkMeta } from '../types';
import { documentSparse, type SparseVector } from './sparse';
import type { StoredPoint } from './types';

/**
 * How aiml lays a knowledge base out in a Qdrant collection: a named dense vector (cosine) and a
 * named sparse BM25 vector (IDF applied by the server) per point, the chunk's metadata and text
 * as payload, and keyword indexes on every field a filter uses. Filters become Qdrant filters,
 * so they run on the server, a path prefix included (`prefixes` holds every prefix of the path).
 */
export const DENSE = 'dense';
export const SPARSE = 'sparse';
export const INDEXED_FIELDS = ['prefixes', 'language', 'kind', 'path'] as const;
/** Qdrant refuses requests over 32 MiB by default; batches stay well under. */
export const DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export interface Payload extends ChunkMeta {
  text: string;
  prefixes: string[];
}

export interface QdrantPoint {
  id: string;
  vector: { [DENSE]: number[]; [SPARSE]: SparseVector };
  payload: Payload;
}

/** Every prefix of a path ("s", "sr", …, "src/", "src/r", …, the path), so any prefix filter is one keyword match. */
export function pathPrefixes(p: string): string[] {
  const out: string[] = [];
  for (let i = 1; i <= p.length; i++) out.push(p.slice(0, i));
  return out;
}

export function toQdrantPoint(p: StoredPoint): QdrantPoint {
  return {
    id: p.id,
    vector: { [DENSE]: Array.from(p.vector), [SPARSE]: documentSparse(p.text, p.meta) },
    payload: { ...p.meta, text: p.text, prefixes: pathPrefixes(p.meta.path) },
  };
}

/** Groups points into upsert requests of at most `maxBytes` of JSON each; a point alone over the limit is an error. */
export function batchBySize(points: QdrantPoint[], maxBytes: number): QdrantPoint[][] {
  const batches: QdrantPoint[][] = [];
  let batch: QdrantPoint[] = [];
  let bytes = 0;
  for (const p of points) {
    const size = Buffer.byteLength(JSON.stringify(p)) + 1;
    if (size + 64 > maxBytes) {
      throw new AimlError('INPUT_INVALID', `Chunk ${p.payload.path}:${p.payload.startLine}-${p.payload.endLine} is ${size} bytes as a Qdrant point, over the ${maxBytes}-byte request limit`);
    }
    if (batch.length && bytes + size + 64 > maxBytes) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(p);
    bytes += size;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

type Condition = { key: string; match: { value: string } | { any: string[] } };

export function qdrantFilter(filter?: ChunkFilter): { must: Condition[] } | undefined {
  const must: Condition[] = [];
  if (filter?.pathPrefix) must.push({ key: 'prefixes', match: { value: filter.pathPrefix } });
  if (filter?.language) must.push({ key: 'language', match: { any: ([] as string[]).concat(filter.language) } });
  if (filter?.kind) must.push({ key: 'kind', match: { any: ([] as string[]).concat(filter.kind) } });
  return must.length ? { must } : undefined;
}

interface CollectionInfo {
  config: { params: { vectors?: unknown; sparse_vectors?: unknown } };
  payload_schema?: Record<string, unknown>;
}

export function collectionConfig(dims: number) {
  return { vectors: { [DENSE]: { size: dims, distance: 'Cosine' as const } }, sparse_vectors: { [SPARSE]: { modifier: 'idf' as const } } };
}

/**
 * Checks an existing collection against the embedding model and this layout; a collection made
 * for another model or by an older aiml (one unnamed vector, no sparse vector) is a clear error.
 */
export function checkLayout(name: string, info: CollectionInfo, dims: number): void {
  const vectors = (info.config.params.vectors ?? {}) as Record<string, { size?: number; distance?: string } | number | string>;
  const dense = vectors[DENSE] as { size?: number; distance?: string } | undefined;
  const sparse = ((info.config.params.sparse_vectors ?? {}) as Record<string, { modifier?: string }>)[SPARSE];
  if (!dense || typeof dense !== 'object' || !sparse || sparse.modifier !== 'idf') {
    throw new AimlError(
      'KB_STORE_LAYOUT',
      `Qdrant collection ${name} does not have aiml's layout (a "${DENSE}" vector and a "${SPARSE}" vector with the idf modifier); it was made by another program or an older aiml: delete it and index again`,
    );
  }
  if (dense.size !== dims) {
    throw new AimlError('KB_MODEL_MISMATCH', `Qdrant collection ${name} holds ${dense.size}-d vectors, but the embedding model gives ${dims}-d`);
  }
  if (dense.distance !== 'Cosine') {
    throw new AimlError('KB_STORE_LAYOUT', `Qdrant collection ${name} compares vectors by ${dense.distance}, not Cosine: delete it and index again`);
  }
}

/** The filter fields without a keyword index yet. */
export function missingIndexes(info: CollectionInfo): string[] {
  const schema = info.payload_schema ?? {};
  return INDEXED_FIELDS.filter((f) => (schema[f] as { data_type?: string } | undefined)?.data_type !== 'keyword');
}
