import { QdrantClient } from '@qdrant/js-client-rest';
import { AimlError } from '../../errors';
import { matchesFilter, type ChunkFilter, type ChunkMeta, type ScoredId } from '../types';
import type { StoredDoc, StoredPoint, VectorStore } from './types';

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  dims: number;
  timeoutMs?: number;
}

interface Payload extends ChunkMeta {
  text: string;
  prefixes: string[]; // every folder prefix of the path ("src/", "src/rag/") and the path itself
}

/** The folder prefixes of a path, so a path-prefix filter is a keyword match Qdrant can index. */
export function pathPrefixes(p: string): string[] {
  const out: string[] = [];
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) out.push(p.slice(0, i + 1));
  out.push(p);
  return out;
}

function asArray<T>(v: T | T[]): T[] {
  return Array.isArray(v) ? v : [v];
}

/**
 * Qdrant through its REST client: one collection per knowledge base and model, cosine distance,
 * keyword payload indexes on the filter fields. A Qdrant that does not answer is a clear,
 * retryable QDRANT_UNAVAILABLE; the API key is never part of a message.
 */
export class QdrantStore implements VectorStore {
  readonly kind = 'qdrant' as const;

  private constructor(
    private readonly client: QdrantClient,
    private readonly opts: QdrantStoreOptions,
  ) {}

  /** Fails with QDRANT_UNAVAILABLE unless a Qdrant answers at `url`. */
  static async ping(url: string, apiKey?: string, timeoutMs = 5000): Promise<void> {
    const client = new QdrantClient({ url, apiKey, checkCompatibility: false, timeout: timeoutMs });
    await new QdrantStore(client, { url, apiKey, collection: '', dims: 0 }).call('list collections', () => client.getCollections());
  }

  static async open(opts: QdrantStoreOptions): Promise<QdrantStore> {
    const client = new QdrantClient({ url: opts.url, apiKey: opts.apiKey, checkCompatibility: false, timeout: opts.timeoutMs ?? 30_000 });
    const store = new QdrantStore(client, opts);
    await store.call('open the collection', async () => {
      const { exists } = await client.collectionExists(opts.collection);
      if (exists) {
        const info = await client.getCollection(opts.collection);
        const vectors = info.config.params.vectors as { size?: number } | undefined;
        if (vectors?.size !== undefined && vectors.size !== opts.dims) {
          throw new AimlError('KB_MODEL_MISMATCH', `Qdrant collection ${opts.collection} holds ${vectors.size}-d vectors, not ${opts.dims}-d`);
        }
        return;
      }
      await client.createCollection(opts.collection, { vectors: { size: opts.dims, distance: 'Cosine' } });
      for (const field of ['prefixes', 'language', 'kind', 'path']) {
        await client.createPayloadIndex(opts.collection, { field_name: field, field_schema: 'keyword', wait: true });
      }
    });
    return store;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AimlError) throw err;
      const e = err as { status?: number; message?: string; cause?: { code?: string; message?: string } };
      if (typeof e.status === 'number') {
        throw new AimlError(e.status >= 500 ? 'QDRANT_UNAVAILABLE' : 'QDRANT_REQUEST_FAILED', `Qdrant refused to ${what} (${e.status}): ${e.message ?? ''}`);
      }
      const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
      throw new AimlError('QDRANT_UNAVAILABLE', `Qdrant at ${this.opts.url} does not answer (${cause}); check QDRANT_URL and that Qdrant is running`);
    }
  }

  async upsert(points: StoredPoint[]): Promise<void> {
    if (!points.length) return;
    await this.call('upsert points', () =>
      this.client.upsert(this.opts.collection, {
        wait: true,
        points: points.map((p) => ({ id: p.id, vector: Array.from(p.vector), payload: { ...p.meta, text: p.text, prefixes: pathPrefixes(p.meta.path) } })),
      }),
    );
  }

  async delete(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.call('delete points', () => this.client.delete(this.opts.collection, { wait: true, points: ids }));
  }

  async search(vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ScoredId[]> {
    const must: { key: string; match: { any: string[] } }[] = [];
    const exactPrefix = filter?.pathPrefix && filter.pathPrefix.endsWith('/');
    if (exactPrefix) must.push({ key: 'prefixes', match: { any: [filter!.pathPrefix!] } });
    if (filter?.language) must.push({ key: 'language', match: { any: asArray(filter.language) } });
    if (filter?.kind) must.push({ key: 'kind', match: { any: asArray(filter.kind) } });
    // A prefix that stops inside a name cannot be a keyword match: fetch more, filter here.
    const postFilter = filter?.pathPrefix && !exactPrefix;
    const res = await this.call('search', () =>
      this.client.search(this.opts.collection, {
        vector: Array.from(vector),
        limit: postFilter ? k * 10 : k,
        filter: must.length ? { must } : undefined,
        with_payload: postFilter ? ['path', 'language', 'kind'] : false,
      }),
    );
    return res
      .filter((r) => !postFilter || matchesFilter(r.payload as unknown as ChunkMeta, filter))
      .slice(0, k)
      .map((r) => ({ id: String(r.id), score: r.score }));
  }

  async get(ids: string[]): Promise<StoredDoc[]> {
    if (!ids.length) return [];
    const res = await this.call('retrieve points', () => this.client.retrieve(this.opts.collection, { ids, with_payload: true, with_vector: false }));
    return res.map((r) => toDoc(String(r.id), r.payload as unknown as Payload));
  }

  async *documents(): AsyncIterable<StoredDoc> {
    let offset: string | number | undefined | null = undefined;
    do {
      const page = await this.call('scroll points', () =>
        this.client.scroll(this.opts.collection, { limit: 512, offset: offset ?? undefined, with_payload: true, with_vector: false }),
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

function toDoc(id: string, p: Payload): StoredDoc {
  const { text, prefixes: _prefixes, ...meta } = p;
  return { id, meta, text };
}
