import { QdrantClient } from '@qdrant/js-client-rest';
import type { QdrantStore, QdrantStoreOptions } from '../../src/rag/store/qdrant-store';
import { uniqueId } from '../support/env';
import type { TestQdrant } from './qdrant-server';
import { axis, point } from './store-contract';

/** What only the Qdrant store does: server-side BM25 and fusion, batching, layout checks, indexes. */
export function qdrantOnly(server: () => TestQdrant, open: (dims: number, extra?: Partial<QdrantStoreOptions>) => Promise<QdrantStore>): void {
  const dims = 8;
  const client = () => new QdrantClient({ url: server().url, apiKey: server().apiKey, checkCompatibility: false });

  test('BM25 ranking and dense + BM25 fusion run in Qdrant, filters too', async () => {
    const store = await open(dims);
    try {
      const texts = ['retry the payment with exponential backoff', 'render the invoice as a pdf', 'refund part of a captured payment', 'send the monthly newsletter'];
      await store.upsert(texts.map((text, i) => ({ ...point(`src/m${i}.ts`, i, axis(dims, i)), text })));
      await store.upsert([{ ...point('docs/pay.md', 9, axis(dims, 4)), text: 'payment refund policy', meta: { ...point('docs/pay.md', 9, axis(dims, 4)).meta, language: 'markdown' } }]);
      const paths = async (hits: { id: string }[]) => (await store.get(hits.map((h) => h.id))).map((d) => d.meta.path);

      expect(await paths(await store.ranking.lexicalSearch('refund captured payment', 3))).toEqual(['src/m2.ts', 'docs/pay.md', 'src/m0.ts']);
      expect(await paths(await store.ranking.lexicalSearch('refund', 5, { pathPrefix: 'src/m' }))).toEqual(['src/m2.ts']);
      expect(await store.ranking.lexicalSearch('the of', 5)).toEqual([]); // stop words only: no terms

      // Two candidates from each ranker: dense gives m1 then m0, BM25 m2 then docs/pay.md; fused, the firsts lead.
      const fused = await store.ranking.hybridSearch({ vector: axis(dims, 1, 2, 0), text: 'refund captured' }, { candidates: 2, rrfK: 20 });
      expect((await paths(fused)).sort()).toEqual(['src/m1.ts', 'src/m2.ts']);
      expect(fused[0]!.score).toBeCloseTo(1 / 20, 4); // one first place under RRF with k = 20 (Qdrant counts ranks from 0)
      const onlyDocs = await store.ranking.hybridSearch({ vector: axis(dims, 1, 2, 0), text: 'refund' }, { candidates: 5, rrfK: 20, filter: { language: 'markdown' } });
      expect(await paths(onlyDocs)).toEqual(['docs/pay.md']);
      expect(await store.stillThere()).toBe(true);
    } finally {
      await store.drop();
    }
    expect(await store.stillThere()).toBe(false); // what another host learns when this one removes it
  });

  test('upserts are split by size under the request limit (this server takes 1 MiB); a single oversized point is refused clearly', async () => {
    const store = await open(dims, { maxRequestBytes: 900_000 });
    try {
      const big = 'word '.repeat(20_000); // ~100 KB of text per point, ~3 MB in all
      await store.upsert(Array.from({ length: 30 }, (_, i) => ({ ...point(`big/f${i}.ts`, i, axis(dims, i % dims)), text: `${big} ${i}` })));
      expect(await store.count()).toBe(30);
      const huge = { ...point('big/huge.ts', 99, axis(dims, 0)), text: 'x'.repeat(1_000_000) };
      await expect(store.upsert([huge])).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/^Chunk big\/huge\.ts:99-100 is \d+ bytes as a Qdrant point, over the 900000-byte request limit$/) });
    } finally {
      await store.drop();
    }
  });

  test('payload indexes are ensured on every open; a collection of another size or layout is refused', async () => {
    const name = uniqueId('aiml_test').replace(/-/g, '_');
    const opts = { url: server().url, apiKey: server().apiKey, collection: name };
    const first = await open(dims, opts);
    await client().deletePayloadIndex(name, 'language', { wait: true });
    expect(Object.keys((await client().getCollection(name)).payload_schema)).not.toContain('language');
    await open(dims, opts);
    expect((await client().getCollection(name)).payload_schema.language).toMatchObject({ data_type: 'keyword' });
    await expect(open(16, opts)).rejects.toMatchObject({ code: 'KB_MODEL_MISMATCH', message: `Qdrant collection ${name} holds 8-d vectors, but the embedding model gives 16-d` });
    await first.drop();

    const legacy = uniqueId('aiml_test').replace(/-/g, '_');
    await client().createCollection(legacy, { vectors: { size: dims, distance: 'Cosine' } });
    try {
      await expect(open(dims, { ...opts, collection: legacy })).rejects.toMatchObject({ code: 'KB_STORE_LAYOUT', message: expect.stringContaining(`Qdrant collection ${legacy} does not have aiml's layout`) });
    } finally {
      await client().deleteCollection(legacy);
    }
  });
}
