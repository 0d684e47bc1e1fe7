import type { StoredPoint, VectorStore } from '../../src/rag/store/types';
import type { ChunkMeta } from '../../src/rag/types';
import { chunkId } from '../../src/rag/chunk/ids';

/** Unit vector along axis `i` of `dims`, tilted a little towards axis `j`. */
export function axis(dims: number, i: number, j = (i + 1) % dims, tilt = 0.1): Float32Array {
  const v = new Float32Array(dims);
  v[i] = 1;
  v[j] = tilt;
  const n = Math.hypot(1, tilt);
  return v.map((x) => x / n);
}

export function point(path: string, n: number, vector: Float32Array, extra: Partial<ChunkMeta> = {}): StoredPoint {
  const meta: ChunkMeta = { path, language: 'typescript', kind: 'function', startLine: n, endLine: n + 1, hash: `h${n}`, ...extra };
  return { id: chunkId(path, `h${n}`), vector, meta, text: `chunk ${n} of ${path}` };
}

/** The behaviour every vector store must have; run against the embedded store and (when reachable) Qdrant. */
export function storeContract(name: string, open: (dims: number) => Promise<VectorStore>): void {
  describe(`${name} store contract`, () => {
    const dims = 8;
    let store: VectorStore;
    beforeEach(async () => {
      store = await open(dims);
    });
    afterEach(async () => {
      await store.drop();
    });

    test('upsert, nearest-first search with cosine scores, get, count', async () => {
      await store.upsert([point('src/a.ts', 0, axis(dims, 0)), point('src/b.ts', 1, axis(dims, 1)), point('docs/c.md', 2, axis(dims, 2), { language: 'markdown', kind: 'section' })]);
      expect(await store.count()).toBe(3);
      const hits = await store.search(axis(dims, 1, 2, 0), 2);
      expect(hits.map((h) => h.id)).toEqual([point('src/b.ts', 1, axis(dims, 1)).id, point('src/a.ts', 0, axis(dims, 0)).id]);
      expect(hits[0]!.score).toBeCloseTo(1 / Math.hypot(1, 0.1), 4);
      const [doc] = await store.get([hits[0]!.id]);
      expect(doc).toMatchObject({ text: 'chunk 1 of src/b.ts', meta: { path: 'src/b.ts', startLine: 1, endLine: 2, language: 'typescript', kind: 'function' } });
    });

    test('upserting the same id twice keeps one point with the latest vector', async () => {
      await store.upsert([point('src/a.ts', 0, axis(dims, 0))]);
      await store.upsert([point('src/a.ts', 0, axis(dims, 5))]);
      expect(await store.count()).toBe(1);
      const [hit] = await store.search(axis(dims, 5, 6, 0), 1);
      expect(hit!.score).toBeGreaterThan(0.99);
    });

    test('filters: path prefix (folder or partial name), language, kind', async () => {
      await store.upsert([
        point('src/rag/a.ts', 0, axis(dims, 0)),
        point('src/rag/b.ts', 1, axis(dims, 0, 2, 0.3)),
        point('src/llm/c.ts', 2, axis(dims, 0, 3, 0.2)),
        point('docs/d.md', 3, axis(dims, 0, 4, 0.05), { language: 'markdown', kind: 'section' }),
      ]);
      const q = axis(dims, 0, 1, 0);
      const paths = async (f: Parameters<VectorStore['search']>[2]) =>
        (await store.get((await store.search(q, 10, f)).map((h) => h.id))).map((d) => d.meta.path).sort();
      expect(await paths({ pathPrefix: 'src/rag/' })).toEqual(['src/rag/a.ts', 'src/rag/b.ts']);
      expect(await paths({ pathPrefix: 'src/l' })).toEqual(['src/llm/c.ts']);
      expect(await paths({ language: 'markdown' })).toEqual(['docs/d.md']);
      expect(await paths({ kind: ['section', 'class'] })).toEqual(['docs/d.md']);
    });

    test('delete removes points; documents() lists the rest without vectors', async () => {
      const pts = [0, 1, 2].map((i) => point(`f${i}.ts`, i, axis(dims, i)));
      await store.upsert(pts);
      await store.delete([pts[1]!.id, 'ffffffff-ffff-ffff-ffff-ffffffffffff']);
      expect(await store.count()).toBe(2);
      const docs: string[] = [];
      for await (const d of store.documents()) docs.push(d.meta.path);
      expect(docs.sort()).toEqual(['f0.ts', 'f2.ts']);
      expect((await store.search(axis(dims, 1, 0, 0), 3)).map((h) => h.id)).not.toContain(pts[1]!.id);
    });
  });
}
