import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddingCache } from '../../src/rag/embed/cache';
import { FlatStore } from '../../src/rag/store/flat-store';
import { pathPrefixes, QdrantStore, type QdrantStoreOptions } from '../../src/rag/store/qdrant-store';
import { tmpDir, uniqueId } from '../support/env';
import { axis, point, storeContract } from './store-contract';
import { qdrantOnly } from './qdrant-contract';
import { QDRANT_SKIP_REASON, qdrantAvailable, startQdrant, type TestQdrant } from './qdrant-server';
import { freePort } from '../support/ports';

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
  const url = `http://127.0.0.1:${await freePort()}`;
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

test('the embedded store keeps texts in its file, not in memory: get() reads them when asked', async () => {
  const dir = tmpDir('aiml-flat-');
  const s1 = FlatStore.open(dir, 4);
  await s1.upsert([{ ...point('a.ts', 0, axis(4, 0)), text: 'original text' }]);
  await s1.close();
  const file = path.join(dir, 'vectors.log');
  const s2 = FlatStore.open(dir, 4);
  const raw = fs.readFileSync(file);
  fs.writeFileSync(file, Buffer.from(raw.toString('latin1').replace('original text', 'ORIGINAL TEXT'), 'latin1')); // same size, same inode
  expect((await s2.get([point('a.ts', 0, axis(4, 0)).id]))[0]!.text).toBe('ORIGINAL TEXT');
  await s2.close();
});

test('one writer at a time: a store locked by a live process refuses writes clearly; a dead writer\'s lock is taken over', async () => {
  const dir = tmpDir('aiml-flat-');
  const s = FlatStore.open(dir, 4);
  const lock = path.join(dir, 'vectors.log.lock');
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    fs.writeFileSync(lock, String(other.pid));
    await expect(s.upsert([point('a.ts', 0, axis(4, 0))])).rejects.toMatchObject({
      code: 'KB_STORE_LOCKED',
      message: `${path.join(dir, 'vectors.log')} is being written by another process (pid ${other.pid}); one writer at a time (lock ${lock})`,
    });
    expect(await s.count()).toBe(0);
  } finally {
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
  }
  await s.upsert([point('a.ts', 0, axis(4, 0))]); // the holder is gone: its lock is stale
  expect(fs.existsSync(lock)).toBe(false);
  expect(await s.count()).toBe(1);
  await s.close();
});

test('a log in the first format (text inside the JSON) is read once and rewritten in the current one', async () => {
  const dir = tmpDir('aiml-flat-');
  const p = point('old.ts', 3, axis(4, 2));
  const json = Buffer.from(JSON.stringify({ meta: p.meta, text: p.text }));
  const rec = Buffer.alloc(4 + 1 + 36 + 16 + json.length);
  rec.writeUInt32LE(rec.length - 4, 0);
  rec[4] = 1;
  rec.write(p.id, 5, 'ascii');
  Buffer.from(p.vector.buffer).copy(rec, 41);
  json.copy(rec, 57);
  const head = Buffer.alloc(12);
  head.write('AIMLVEC1', 0, 'ascii');
  head.writeUInt32LE(4, 8);
  fs.writeFileSync(path.join(dir, 'vectors.log'), Buffer.concat([head, rec]));
  const s = FlatStore.open(dir, 4);
  expect(fs.readFileSync(path.join(dir, 'vectors.log')).toString('ascii', 0, 8)).toBe('AIMLVEC2');
  expect(await s.get([p.id])).toEqual([{ id: p.id, meta: p.meta, text: p.text }]);
  await s.close();
  const again = FlatStore.open(dir, 4);
  expect((await again.search(axis(4, 2, 3, 0), 1))[0]!.id).toBe(p.id);
  await again.close();
});

test('the embedding cache is garbage-collected: the least recently used entries go once the file holds twice the limit', () => {
  const dir = tmpDir('aiml-cache-');
  const vec = (i: number) => axis(4, i % 4, (i + 1) % 4, i / 100);
  const cache = new EmbeddingCache(dir, 'local:test', 4, 4);
  cache.putMany([0, 1, 2, 3, 4, 5, 6].map((i) => ({ text: `t${i}`, vector: vec(i) })));
  expect(fs.statSync(cache.file).size).toBe(7 * (32 + 16)); // not yet over twice the limit
  expect(cache.get('t0')).toEqual(vec(0)); // t0 is now the most recently used
  cache.putMany([7, 8].map((i) => ({ text: `t${i}`, vector: vec(i) }))); // 9 records > 8: rewritten with the 4 most recently used
  expect(fs.statSync(cache.file).size).toBe(4 * (32 + 16));
  expect(cache.size).toBe(4);
  cache.close();
  const again = new EmbeddingCache(dir, 'local:test', 4, 4);
  expect(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'].filter((t) => again.get(t))).toEqual(['t0', 't6', 't7', 't8']);
  again.close();
});
