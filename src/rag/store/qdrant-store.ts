import { QdrantClient } from '@qdrant/js-client-rest';
import { AimlError } from '../../errors';
import type { ChunkFilter, ScoredId } from '../types';
import {
  batchBySize,
  checkLayout,
  collectionConfig,
  DEFAULT_MAX_REQUEST_BYTES,
  DENSE,
  missingIndexes,
  qdrantFilter,
  SPARSE,
  toQdrantPoint,
  type Payload,
} from './qdrant-layout';
import { querySparse } from './sparse';
import type { ServerRanking, StoredDoc, StoredPoint, VectorStore } from './types';

export { pathPrefixes } from './qdrant-layout';

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  dims: number;
  timeoutMs?: number;
  /** Upserts are split into requests of at most this many bytes (default 8 MiB; Qdrant's own limit is 32 MiB). */
  maxRequestBytes?: number;
}

const STALE_SOCKET = new Set(['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET']);

function socketError(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; cause?: { code?: string } } };
  return e.cause?.code ?? e.cause?.cause?.code ?? e.code ?? '';
}

type QueryRequest = Parameters<QdrantClient['query']>[1];

/**
 * Qdrant used as Qdrant: one collection per knowledge base and model (layout in qdrant-layout),
 * dense and BM25 ranking and their fusion done by the server in one Query API request, filters
 * applied there. Writes wait for the server to apply them, so the next step reads them. A Qdrant
 * that does not answer is a clear, retryable QDRANT_UNAVAILABLE; the API key is never in a message.
 */
export class QdrantStore implements VectorStore {
  readonly kind = 'qdrant' as const;
  readonly ranking: ServerRanking = {
    lexicalSearch: (query, k, filter) => this.lexicalSearch(query, k, filter),
    hybridSearch: (q, opts) => this.hybridSearch(q, opts),
  };

  private constructor(
    private readonly client: QdrantClient,
    private readonly opts: QdrantStoreOptions,
  ) {}

  /** Fails with QDRANT_UNAVAILABLE unless a Qdrant answers at `url`. */
  static async ping(url: string, apiKey?: string, timeoutMs = 5000): Promise<void> {
    const client = new QdrantClient({ url, apiKey, checkCompatibility: false, timeout: timeoutMs });
    await new QdrantStore(client, { url, apiKey, collection: '', dims: 0 }).call('list collections', () => client.getCollections());
  }

  /** Whether the collection is there (nothing is created). */
  static async exists(opts: QdrantStoreOptions): Promise<boolean> {
    const client = new QdrantClient({ url: opts.url, apiKey: opts.apiKey, checkCompatibility: false, timeout: opts.timeoutMs ?? 30_000 });
    return new QdrantStore(client, opts).call('look for the collection', async () => (await client.collectionExists(opts.collection)).exists);
  }

  /** Whether the collection is still there, asked with this store's own client. */
  async stillThere(): Promise<boolean> {
    return this.call('look for the collection', async () => (await this.client.collectionExists(this.opts.collection)).exists);
  }

  /** Opens (creating when absent) the collection, checks its layout, and ensures its payload indexes. */
  static async open(opts: QdrantStoreOptions): Promise<QdrantStore> {
    const client = new QdrantClient({ url: opts.url, apiKey: opts.apiKey, checkCompatibility: false, timeout: opts.timeoutMs ?? 30_000 });
    const store = new QdrantStore(client, opts);
    const name = opts.collection;
    await store.call('open the collection', async () => {
      if (!(await client.collectionExists(name)).exists) {
        await client.createCollection(name, collectionConfig(opts.dims)).catch(async (err: unknown) => {
          if (!(await client.collectionExists(name)).exists) throw err; // else another process made it first
        });
      }
      const info = await client.getCollection(name);
      checkLayout(name, info, opts.dims);
      for (const field of missingIndexes(info)) {
        await client.createPayloadIndex(name, { field_name: field, field_schema: 'keyword', wait: true });
      }
    });
    return store;
  }

  /**
   * Runs one request, mapping failures to clear errors. A request that met a kept-alive socket
   * the server had already closed (EPIPE, ECONNRESET) is sent once more: every request here is
   * idempotent.
   */
  private async call<T>(what: string, fn: () => Promise<T>, retried = false): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AimlError) throw err;
      if (!retried && STALE_SOCKET.has(socketError(err))) return this.call(what, fn, true);
      const e = err as { status?: number; message?: string; cause?: { code?: string; message?: string } };
      if (typeof e.status === 'number') {
        throw new AimlError(e.status >= 500 ? 'QDRANT_UNAVAILABLE' : 'QDRANT_REQUEST_FAILED', `Qdrant refused to ${what} (${e.status}): ${e.message ?? ''}`);
      }
      const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
      throw new AimlError('QDRANT_UNAVAILABLE', `Qdrant at ${this.opts.url} does not answer (${cause}); check QDRANT_URL and that Qdrant is running`);
    }
  }

  async upsert(points: StoredPoint[]): Promise<void> {
    for (const p of points) {
      if (p.vector.length !== this.opts.dims) {
        throw new AimlError('KB_MODEL_MISMATCH', `A ${p.vector.length}-d vector cannot go into the ${this.opts.dims}-d collection ${this.opts.collection}`);
      }
    }
    const batches = batchBySize(points.map(toQdrantPoint), this.opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
    for (const batch of batches) {
      await this.call('upsert points', () => this.client.upsert(this.opts.collection, { wait: true, points: batch as never }));
    }
  }

  async delete(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.call('delete points', () => this.client.delete(this.opts.collection, { wait: true, points: ids }));
  }

  private async query(req: QueryRequest): Promise<ScoredId[]> {
    const res = await this.call('search', () => this.client.query(this.opts.collection, { ...req, with_payload: false, with_vector: false }));
    return res.points.map((p) => ({ id: String(p.id), score: p.score }));
  }

  async search(vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ScoredId[]> {
    return this.query({ query: Array.from(vector), using: DENSE, limit: k, filter: qdrantFilter(filter) });
  }

  async lexicalSearch(query: string, k: number, filter?: ChunkFilter): Promise<ScoredId[]> {
    const sparse = querySparse(query);
    if (!sparse.indices.length) return [];
    return this.query({ query: sparse, using: SPARSE, limit: k, filter: qdrantFilter(filter) });
  }

  /** Dense and BM25 candidates, each filtered, fused by reciprocal rank: one request. */
  async hybridSearch(q: { vector: Float32Array; text: string }, opts: { candidates: number; rrfK: number; filter?: ChunkFilter }): Promise<ScoredId[]> {
    const sparse = querySparse(q.text);
    if (!sparse.indices.length) return this.search(q.vector, opts.candidates, opts.filter);
    const filter = qdrantFilter(opts.filter);
    return this.query({
      prefetch: [
        { query: Array.from(q.vector), using: DENSE, limit: opts.candidates, filter },
        { query: sparse, using: SPARSE, limit: opts.candidates, filter },
      ],
      // Qdrant ≥ 1.16 takes RRF's k; the client's types know only the bare { fusion: 'rrf' }.
      query: { rrf: { k: opts.rrfK } } as unknown as QueryRequest['query'],
      limit: opts.candidates,
    });
  }

  async get(ids: string[]): Promise<StoredDoc[]> {
    if (!ids.length) return [];
    const res = await this.call('retrieve points', () => this.client.retrieve(this.opts.collection, { ids, with_payload: { exclude: ['prefixes'] }, with_vector: false }));
    const byId = new Map(res.map((r) => [String(r.id), toDoc(String(r.id), r.payload as unknown as Payload)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async *documents(): AsyncIterable<StoredDoc> {
    let offset: string | number | undefined | null = undefined;
    do {
      const page = await this.call('scroll points', () =>
        this.client.scroll(this.opts.collection, { limit: 512, offset: offset ?? undefined, with_payload: { exclude: ['prefixes'] }, with_vector: false }),
      );
      for (const r of page.points) yield toDoc(String(r.id), r.payload as unknown as Payload);
      offset = page.next_page_offset as string | number | null | undefined;
    } while (offset !== null && offset !== undefined);
  }

  async count(): Promise<number> {
    return (await this.call('count points', () => this.client.count(this.opts.collection, { exact: true }))).count;
  }

  async drop(): Promise<void> {
    await this.call('delete the collection', () => this.client.deleteCollection(this.opts.collection));
  }

  async close(): Promise<void> {}
}

function toDoc(id: string, p: Omit<Payload, 'prefixes'> & { prefixes?: string[] }): StoredDoc {
  const { text, prefixes: _prefixes, ...meta } = p;
  return { id, meta, text };
}
