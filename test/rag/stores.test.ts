import fs from 'node:fs';
import path from 'node:path';
import { FlatStore } from '../../src/rag/store/flat-store';
import { pathPrefixes, QdrantStore, type QdrantStoreOptions } from '../../src/rag/store/qdrant-store';
import { tmpDir, uniqueId } from '../support/env';
import { axis, point, storeContract } from './store-contract';
import { qdrantOnly } from './qdrant-contract';
import { QDRANT_SKIP_REASON, qdrantAvailable, startQdrant, type TestQdrant } from './qdrant-server';
import { closedPort } from './support';

storeContract('embedded (flat)', async (dims) => FlatStore.open(tmpDir('aiml-flat-'), dims));

// Qdrant's run of the same contract, against a real server (see qdrant-server.ts).
if (qdrantAvailable()) {
  describe('qdrant (real server)', () => {
    let qdrant: TestQdrant;
    beforeAll(async () => {
      qdrant = await startQdrant({ maxRequestMb: 1 });
    }, 60_000);
    afterAll(async () => {
      await qdrant?.stop();
    });
    const open = (dims: number, extra: Partial<QdrantStoreOptions> = {}) =>
      QdrantStore.open({ url: qdrant.url, apiKey: qdrant.apiKey, collection: uniqueId('aiml_test').replace(/-/g, '_'), dims, ...extra });

    storeContract('qdrant', (dims) => open(dims));
    qdrantOnly(() => qdrant, open);
  });
} else {
  test.skip(`qdrant store contract: ${QDRANT_SKIP_REASON}`, () => {});
}

test('a Qdrant URL that does not answer is a clear, retryable QDRANT_UNAVAILABLE error', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const err = await QdrantStore.open({ url, apiKey: 'qk-not-a-secret', collection: 'aiml_x', dims: 4, timeoutMs: 5000 }).then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  );
  expect(err?.code).toBe('QDRANT_UNAVAILABLE');
  expect(err?.message).toMatch(new RegExp(`^Qdrant at ${url} does not answer \\(.*\\); check QDRANT_URL`));
  expect(err?.message).not.toContain('qk-not-a-secret');
});

test('Qdrant path-prefix filters are keyword matches on every prefix of the path', () => {
  expect(pathPrefixes('src/a.ts')).toEqual(['s', 'sr', 'src', 'src/', 'src/a', 'src/a.', 'src/a.t', 'src/a.ts']);
});

test('the embedded store survives a reopen, cuts a torn last record before its next write, and refuses another vector size', async () => {
  const dir = tmpDir('aiml-flat-');
  const s1 = FlatStore.open(dir, 4);
  await s1.upsert([point('a.ts', 0, axis(4, 0)), point('b.ts', 1, axis(4, 1))]);
  await s1.delete([point('a.ts', 0, axis(4, 0)).id]);
  await s1.close();
  const file = path.join(dir, 'vectors.log');
  fs.appendFileSync(file, Buffer.from([200, 0, 0, 0, 1, 2, 3])); // a crash mid-write
  const s2 = FlatStore.open(dir, 4);
  expect(await s2.count()).toBe(1);
  expect((await s2.search(axis(4, 1, 0, 0), 1))[0]!.id).toBe(point('b.ts', 1, axis(4, 1)).id);
  await s2.upsert([point('c.ts', 2, axis(4, 2))]); // appends after the last whole record
  await s2.close();
  const s3 = FlatStore.open(dir, 4);
  expect((await s3.get([point('c.ts', 2, axis(4, 2)).id]))[0]!.meta.path).toBe('c.ts');
  expect(await s3.count()).toBe(2);
  await s3.close();
  expect(() => FlatStore.open(dir, 8)).toThrow(expect.objectContaining({ code: 'KB_MODEL_MISMATCH' }));
});

test('a second handle on the same store (another process) sees the first one\'s writes after refresh', async () => {
  const dir = tmpDir('aiml-flat-');
  const writer = FlatStore.open(dir, 4);
  const reader = FlatStore.open(dir, 4);
  await writer.upsert([point('a.ts', 0, axis(4, 0))]);
  expect(await reader.count()).toBe(0);
  expect(reader.refresh()).toBe(true);
  expect(await reader.count()).toBe(1);
  expect(reader.refresh()).toBe(false);
  await reader.upsert([point('b.ts', 1, axis(4, 1))]); // the reader writes next: the writer catches up before its own write
  await writer.delete([point('b.ts', 1, axis(4, 1)).id]);
  await writer.close();
  await reader.close();
  const again = FlatStore.open(dir, 4);
  expect((await again.get([point('a.ts', 0, axis(4, 0)).id, point('b.ts', 1, axis(4, 1)).id])).map((d) => d.meta.path)).toEqual(['a.ts']);
  await again.close();
});

test('the embedded store compacts its log when dead records outnumber live ones, losing nothing', async () => {
  const dir = tmpDir('aiml-flat-');
  const s = FlatStore.open(dir, 4);
  const pts = Array.from({ length: 600 }, (_, i) => point(`f${i}.ts`, i, axis(4, i % 4, (i + 1) % 4, (i % 7) / 10)));
  await s.upsert(pts);
  await s.upsert(pts); // 600 dead
  const before = fs.statSync(path.join(dir, 'vectors.log')).size;
  await s.delete(pts.slice(0, 300).map((p) => p.id)); // 1200 dead > 300 live: compaction
  const after = fs.statSync(path.join(dir, 'vectors.log')).size;
  expect(after).toBeLessThan(before / 3);
  await s.close();
  const again = FlatStore.open(dir, 4);
  expect(await again.count()).toBe(300);
  expect((await again.get([pts[450]!.id]))[0]!.meta.path).toBe('f450.ts');
  await again.close();
});

test('the embedded store\'s int8 SIMD first pass with exact re-scoring returns what an exact scan returns', async () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const unit = (dims: number) => {
    const v = Float32Array.from({ length: dims }, rnd);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const s = FlatStore.open(tmpDir('aiml-flat-'), 100); // not a multiple of 16: the int8 rows are padded
  expect(s.vectorBytesPerChunk).toBe(100 * 4 + 112 + 8);
  const pts = Array.from({ length: 3000 }, (_, i) => point(`d${i % 7}/f${i}.ts`, i, unit(100)));
  await s.upsert(pts);
  await s.delete(pts.slice(0, 500).map((p) => p.id));
  for (let i = 0; i < 20; i++) {
    const q = unit(100);
    const filter = i % 2 ? { pathPrefix: 'd3/' } : undefined;
    const fast = s.searchSync(q, 10, filter);
    expect(fast.map((h) => h.id)).toEqual(s.exactSearch(q, 10, filter).map((h) => h.id));
    expect(fast).toHaveLength(10);
  }
  await s.close();
});
