import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../../src/errors';
import { PROJECT_ROOT } from '../../src/paths';
import { EmbeddingCache } from '../../src/rag/embed/cache';
import { LocalOnnxEmbedder } from '../../src/rag/embed/local-onnx';
import { LOCAL_MODEL } from '../../src/rag/embed/model-install';
import { embeddingText } from '../../src/rag/knowledge-base';
import { StaticEmbedder, STATIC_MODEL_ID } from '../../src/rag/embed/static-model';
import { refinedOrder } from '../../src/rag/refine';
import { KbRegistry } from '../../src/rag/registry';
import { HybridRetriever, type SearchHit } from '../../src/rag/retriever';
import { scanDirectory } from '../../src/rag/walker';
import { tmpDir } from '../support/env';

const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

test('refinedOrder: the head re-sorted by the stronger model, fused with BM25, then the rest of the first stage', () => {
  const head = [
    { id: 'a', score: 3 },
    { id: 'b', score: 2 },
    { id: 'c', score: 1 },
  ];
  const rest = [
    { id: 'd', score: 0.5 },
    { id: 'b', score: 0.4 },
  ];
  // Dense search: the head by similarity, then the rest not already in it.
  expect(ids(refinedOrder(head, [0.1, 0.2, 0.9], rest, [], 20, 2))).toEqual(['c', 'b', 'a', 'd']);
  // Hybrid: a chunk BM25 ranks first and the model ranks second beats one only the model ranks first.
  const fused = refinedOrder(head, [0.1, 0.2, 0.9], rest, [[{ id: 'b', score: 9 }, { id: 'e', score: 1 }]], 20, 2);
  expect(ids(fused)).toEqual(['b', 'c', 'a', 'e', 'd']);
});

/** The npm corpus of bench:rag-quality (four libraries from node_modules), copied into a folder. */
function npmCorpus(): string {
  const root = tmpDir('aiml-refine-corpus-');
  for (const src of ['js-yaml/lib', 'diff/libcjs', 'protobufjs/src', 'uuid/dist/cjs']) {
    fs.cpSync(path.join(PROJECT_ROOT, 'node_modules', src), path.join(root, src), { recursive: true, filter: (f) => !f.endsWith('.min.js') && (fs.statSync(f).isDirectory() || f.endsWith('.js')) });
  }
  return root;
}

const files = (hits: SearchHit[]) => [...new Set(hits.map((h) => h.path))];

test('a minilm-static knowledge base is searched in two stages: MiniLM finds what the static model ranks low, and keeps the vectors it made', async () => {
  const state = tmpDir('aiml-refine-state-');
  const root = npmCorpus();
  const registry = new KbRegistry(state, new StaticEmbedder());
  try {
    const kb = await registry.get('npm', { root });
    expect(kb.settings.model).toBe(STATIC_MODEL_ID);
    expect(kb.refiner?.id).toBe(LOCAL_MODEL.id);
    await kb.indexFiles(scanDirectory(root).files);
    const retriever = new HybridRetriever(registry);
    const query = 'generate the code that decodes a message from the wire';
    const target = 'protobufjs/src/decoder.js';

    // One stage: the static model and BM25 leave the decoder out of the top 5 files.
    const first = files(await retriever.query('npm', query, { k: 10, refine: false }));
    expect(first.slice(0, 5)).not.toContain(target);
    // Two stages (the default): MiniLM, scoring the top 30 again, puts it first.
    const refined = files(await retriever.query('npm', query, { k: 10 }));
    expect(refined[0]).toBe(target);

    // The 30 chunks MiniLM scored are in its cache, under MiniLM's key, and read from there next time.
    const teacher = new LocalOnnxEmbedder();
    const cache = new EmbeddingCache(path.join(state, 'embed-cache'), teacher.cacheKey ?? teacher.id, teacher.dims);
    const [top] = await retriever.query('npm', query, { k: 1, perFile: 0 });
    const stored = (await kb.store.get([top!.id]))[0]!;
    expect(cache.get(embeddingText({ ...stored.meta, id: stored.id, text: stored.text }))).toBeInstanceOf(Float32Array);
    cache.close();

    // Lexical search has no dense stage to refine: the same with and without.
    expect(ids(await retriever.query('npm', query, { mode: 'lexical' }))).toEqual(ids(await retriever.query('npm', query, { mode: 'lexical', refine: false })));
  } finally {
    await registry.closeAll();
  }
}, 120_000);

test('a knowledge base of a transformer model has no second stage', async () => {
  const registry = new KbRegistry(tmpDir('aiml-refine-state-'), new LocalOnnxEmbedder());
  try {
    const kb = await registry.get('plain', { root: tmpDir('aiml-refine-corpus-') });
    expect(kb.settings.model).toBe(LOCAL_MODEL.id);
    expect(kb.refiner).toBeUndefined();
    expect(await kb.stats()).not.toHaveProperty('refinedBy');
  } finally {
    await registry.closeAll();
  }
});

test('a second stage that fails is skipped: the search answers in the first stage order and says why; a cancel still fails it', async () => {
  const state = tmpDir('aiml-refine-state-');
  const root = tmpDir('aiml-refine-corpus-');
  fs.writeFileSync(path.join(root, 'retry.ts'), 'export function retryWithBackoff(fn: () => void) {\n  // waits twice as long after each failure\n}\n');
  fs.writeFileSync(path.join(root, 'cart.ts'), 'export function cartTotal(items: number[]) {\n  return items.reduce((a, b) => a + b, 0);\n}\n');
  fs.writeFileSync(path.join(root, 'guide.md'), '# Guide\n\nFailed calls are retried with exponential backoff.\n');
  const registry = new KbRegistry(state, new StaticEmbedder());
  try {
    const kb = await registry.get('flaky', { root });
    await kb.indexFiles(scanDirectory(root).files);
    const oneStage = ids(await new HybridRetriever(registry).query('flaky', 'retry after a failure', { refine: false }));
    let failWith: Error = new Error('MiniLM process exited');
    Object.defineProperty(kb, 'refiner', { value: { id: LOCAL_MODEL.id, similarities: async () => { throw failWith; } } });
    const notices: string[] = [];
    const retriever = new HybridRetriever(registry, { notice: (l) => notices.push(l) });
    expect(ids(await retriever.query('flaky', 'retry after a failure'))).toEqual(oneStage);
    expect(notices).toEqual([`flaky: the second stage (${LOCAL_MODEL.id}) failed and was skipped: MiniLM process exited`]);
    // The activities' view too (the worker logs the notice).
    expect((await retriever.search('flaky', 'retry after a failure', 10)).map((h) => h.path)).toEqual((await retriever.query('flaky', 'retry after a failure', { refine: false })).map((h) => h.path));

    failWith = new AimlError('CANCELLED', 'Embedding was cancelled');
    await expect(retriever.query('flaky', 'retry after a failure')).rejects.toThrow('Embedding was cancelled');
  } finally {
    await registry.closeAll();
  }
}, 60_000);
