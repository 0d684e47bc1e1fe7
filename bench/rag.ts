import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { ingestWorkflowId, type IngestResult } from '../src/contracts';
import { PROJECT_ROOT } from '../src/paths';
import { FlatStore } from '../src/rag/store/flat-store';
import { REFINE_WINDOW } from '../src/rag/refine';
import { HybridRetriever, type SearchMode } from '../src/rag/retriever';
import { installRuntimeLogger } from '../src/temporal/runtime';
import { buildDeps, createWorker } from '../src/worker-factory';
import { buildEvalSet, isRelevant, scoreRanking } from './rag-eval';
import { benchServer, percentile, verdict } from './support';

/**
 * `npm run bench:rag` — retrieval quality (nDCG@10, recall@10 for BM25, dense and hybrid on a
 * library from node_modules), query latency of the embedded store at 10k and 100k 384-d vectors
 * beside a plain brute-force scan, incremental re-sync cost, and ingest throughput with the
 * local model (`AIML_LOCAL_EMBED_MODEL` picks which). Ingest runs through the real `ingest`
 * workflow on a dev server.
 */

const SOURCES = [
  { from: path.join(PROJECT_ROOT, 'node_modules/@temporalio/workflow/src'), as: 'workflow' },
  { from: path.join(PROJECT_ROOT, 'node_modules/@temporalio/client/src'), as: 'client' },
];

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(44)} ${value}\n`);
}

/** nDCG@10 and recall@10 of one way of searching over the eval set, and its mean time a query. */
async function quality(retriever: HybridRetriever, kb: string, queries: ReturnType<typeof buildEvalSet>, mode: SearchMode, refine = true) {
  let ndcg = 0;
  let recall = 0;
  const started = performance.now();
  for (const q of queries) {
    const hits = await retriever.query(kb, q.query, { k: 30, mode, refine });
    // Symbol-level ranking: a long symbol split into windows counts once, at its best rank.
    const seen = new Set<string>();
    const ranked = hits.filter((h) => {
      const key = `${h.path}#${h.symbol ?? h.startLine}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const s = scoreRanking(ranked.map((h) => isRelevant(q, h)), 1, 10);
    ndcg += s.ndcg;
    recall += s.recall;
  }
  return { ndcg: ndcg / queries.length, recall: recall / queries.length, ms: (performance.now() - started) / queries.length };
}

function randomUnit(dims: number, rnd: () => number): Float32Array {
  const v = new Float32Array(dims);
  let n = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = rnd() - 0.5;
    n += v[i]! * v[i]!;
  }
  n = Math.sqrt(n);
  for (let i = 0; i < dims; i++) v[i] = v[i]! / n;
  return v;
}

/** A plain single-threaded brute-force scan: score every vector, sort all, take k. */
function bruteForce(vectors: Float32Array[], q: Float32Array, k: number): number[] {
  const scores = vectors.map((v, i) => {
    let s = 0;
    for (let d = 0; d < v.length; d++) s += v[d]! * q[d]!;
    return { i, s };
  });
  scores.sort((a, b) => b.s - a.s);
  return scores.slice(0, k).map((x) => x.i);
}

async function latency(n: number, dims = 384, queries = 200) {
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-store-'));
  const store = FlatStore.open(dir, dims);
  const vectors: Float32Array[] = [];
  for (let b = 0; b < n; b += 5000) {
    const points = [];
    for (let i = b; i < Math.min(n, b + 5000); i++) {
      const v = randomUnit(dims, rnd);
      vectors.push(v);
      const hex = i.toString(16).padStart(12, '0');
      points.push({ id: `00000000-0000-4000-8000-${hex}`, vector: v, meta: { path: `f${i % 997}.ts`, language: 'typescript', kind: 'lines' as const, startLine: 1, endLine: 1, hash: hex }, text: '' });
    }
    await store.upsert(points);
  }
  const flat: number[] = [];
  const brute: number[] = [];
  let agree = 0;
  for (let i = 0; i < queries; i++) {
    const q = randomUnit(dims, rnd);
    let t = process.hrtime.bigint();
    const got = store.searchSync(q, 10);
    flat.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    const want = bruteForce(vectors, q, 10);
    brute.push(Number(process.hrtime.bigint() - t) / 1e6);
    const wantIds = new Set(want.map((j) => `00000000-0000-4000-8000-${j.toString(16).padStart(12, '0')}`));
    agree += got.filter((h) => wantIds.has(h.id)).length / 10;
  }
  await store.drop();
  fs.rmSync(dir, { recursive: true, force: true });
  return { flat, brute, recall: agree / queries };
}

async function main(): Promise<void> {
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' }); // figures, not worker chatter
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-rag-'));
  const corpus = path.join(work, 'corpus');
  const queries = buildEvalSet(SOURCES, corpus);
  line('corpus', `@temporalio/workflow/src + @temporalio/client/src (doc comments stripped), ${queries.length} queries`);

  const env = await benchServer();
  const connection = await NativeConnection.connect({ address: env.connection.options.address });
  const stateDir = path.join(work, 'state');
  const deps = buildDeps({ apiKey: 'unused', model: 'unused', timeoutMs: 1000, stream: false }, stateDir, {
    embeddings: { kind: 'local', ...(process.env.AIML_EMBED_MAX_TOKENS ? { maxTokens: Number(process.env.AIML_EMBED_MAX_TOKENS) } : {}), ...(process.env.AIML_LOCAL_EMBED_MODEL ? { model: process.env.AIML_LOCAL_EMBED_MODEL } : {}) },
    store: { kind: 'embedded' },
  });
  const taskQueue = 'bench-rag';
  const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps });
  const running = worker.run();
  const sync = async (input: { kb: string; dir?: string }): Promise<{ result: IngestResult; ms: number }> => {
    const t = Date.now();
    const result = (await env.client.workflow.execute('ingest', { taskQueue, workflowId: `${ingestWorkflowId(input.kb)}-${Date.now()}`, args: [input] })) as IngestResult;
    return { result, ms: Date.now() - t };
  };
  try {
    await deps.kbs!.embedder.embed(['warm up the model']);
    const full = await sync({ kb: 'bench', dir: corpus });
    line(`full ingest (workflow, ${deps.kbs!.embedder.id})`, `${full.result.filesIndexed} files, ${full.result.chunksIndexed} chunks in ${(full.ms / 1000).toFixed(1)} s`);
    line('ingest throughput', `${((full.result.chunksIndexed / full.ms) * 1000).toFixed(1)} chunks/s (2 cores)`);

    const again = await sync({ kb: 'bench' });
    const ratio = again.ms / full.ms;
    line('re-sync, nothing changed', `${again.ms} ms = ${(ratio * 100).toFixed(2)} % of full ingest, ${again.result.chunksEmbedded} embedded  [target <= 5 %: ${verdict(ratio <= 0.05)}]`);

    const kb = await deps.kbs!.get('bench');
    const victim = [...kb.manifest.keys()].find((p) => p.endsWith('.ts') && (kb.manifest.get(p)?.ids.length ?? 0) >= 5)!;
    const chunksOfVictim = kb.manifest.get(victim)!.ids.length;
    fs.appendFileSync(path.join(corpus, victim), '\nexport function benchAddedHelper(): number {\n  return 42;\n}\n');
    const one = await sync({ kb: 'bench' });
    line('re-sync, one file changed', `${one.result.filesIndexed} file re-indexed (${victim}, ${chunksOfVictim} chunks before), ${one.result.chunksEmbedded} chunk(s) embedded, ${one.ms} ms`);

    const retriever = new HybridRetriever(deps.kbs!);
    const show = (label: string, r: { ndcg: number; recall: number; ms: number }) => line(`${label.padEnd(14)} nDCG@10 / recall@10`, `${r.ndcg.toFixed(3)} / ${r.recall.toFixed(3)}   (${r.ms.toFixed(1)} ms a query)`);
    const refiner = kb.refiner;
    const lexical = await quality(retriever, 'bench', queries, 'lexical');
    show('BM25 only', lexical);
    if (refiner) show('dense, 1 stage', await quality(retriever, 'bench', queries, 'dense', false));
    const dense = await quality(retriever, 'bench', queries, 'dense');
    show('dense only', dense);
    if (refiner) show('hybrid,1 stage', await quality(retriever, 'bench', queries, 'hybrid', false));
    const hybrid = await quality(retriever, 'bench', queries, 'hybrid');
    show('hybrid (RRF)', hybrid);
    if (refiner) {
      // The same queries again: the chunks the refiner scored are in its cache now.
      const again = await quality(retriever, 'bench', queries, 'hybrid');
      line(`refined by ${refiner.id}`, `top ${REFINE_WINDOW} candidates scored again; ${again.ms.toFixed(1)} ms a hybrid query with their vectors cached`);
    }
    const okQuality = hybrid.ndcg >= 1.1 * lexical.ndcg && hybrid.ndcg >= dense.ndcg;
    line('hybrid vs BM25 / dense (nDCG)', `${(hybrid.ndcg / lexical.ndcg).toFixed(2)}x / ${(hybrid.ndcg / dense.ndcg).toFixed(2)}x  [target >= 1.10x and >= 1.00x: ${verdict(okQuality)}]`);
  } finally {
    worker.shutdown();
    await running;
    await deps.kbs!.closeAll();
    await connection.close();
    await env.teardown();
  }

  for (const n of [10_000, 100_000]) {
    const r = await latency(n);
    const target = n === 10_000 ? 10 : 50;
    const p50 = percentile(r.flat, 50);
    line(`query latency @${n / 1000}k x 384-d, embedded store`, `p50 ${p50.toFixed(2)} ms, p99 ${percentile(r.flat, 99).toFixed(2)} ms, recall@10 vs exact ${r.recall.toFixed(3)}  [p50 <= ${target} ms: ${verdict(p50 <= target)}]`);
    line(`query latency @${n / 1000}k x 384-d, plain brute force`, `p50 ${percentile(r.brute, 50).toFixed(2)} ms, p99 ${percentile(r.brute, 99).toFixed(2)} ms`);
  }
  fs.rmSync(work, { recursive: true, force: true });
  line('bench time', `${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  process.stderr.write(`bench:rag failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
