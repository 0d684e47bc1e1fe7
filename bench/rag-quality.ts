import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { wholeCodeIndex } from '../src/agent/tools/code-index';
import type { CodeModels } from '../src/agent/tools/types';
import { PROJECT_ROOT } from '../src/paths';
import { Bm25Index, lexTerms, type Analyser } from '../src/rag/bm25';
import { chunkFile, loadSyntax } from '../src/rag/chunk';
import { EmbeddingCache, embedCached } from '../src/rag/embed/cache';
import { LocalOnnxEmbedder } from '../src/rag/embed/local-onnx';
import type { EmbeddingProvider } from '../src/rag/embed/provider';
import { StaticEmbedder } from '../src/rag/embed/static-model';
import { BGE_SMALL_MODEL, ensureLocalModel, LOCAL_MODEL, type LocalModelSpec } from '../src/rag/embed/model-install';
import { DENSE_WEIGHT, reciprocalRankFusion } from '../src/rag/fusion';
import { localEmbedder, refinerModelOf } from '../src/rag/embed/factory';
import { cachedRefiner, REFINE_WINDOW, refinedOrder } from '../src/rag/refine';
import { embeddingText } from '../src/rag/knowledge-base';
import { rewriteQuery } from '../src/rag/query';
import { createLlmReranker, type Reranker } from '../src/rag/rerank';
import type { SearchHit } from '../src/rag/retriever';
import { loadLlmConfig } from '../src/config';
import { LlmGateway } from '../src/llm/gateway';
import type { Chunk, ScoredId } from '../src/rag/types';
import { gatherWorkspaceContext, type ContextFile, type ContextOptions } from '../src/design/context';
import { planContextQuery, workspaceContext, type ContextQuery } from '../src/design/workspace-context';

/**
 * `npm run bench:rag-quality` — ranking quality on three corpora whose questions were written by
 * hand (bench/data/), not taken from the code's doc comments:
 *  - npm: task descriptions → the module that implements them (js-yaml, diff, protobufjs, uuid);
 *  - pypi: the same for requests, click and jinja2, downloaded by pip into a temp folder;
 *  - docs: questions → the Markdown file (and section) that answers them (undici docs, READMEs).
 * Each query has one answer, given as one or more acceptable places. recall@5 is the share of
 * queries answered in the top 5, MRR@10 and nDCG@10 reward the answer's rank. Results are ranked
 * by answer unit (a file for npm, a symbol for pypi, a section for docs), best chunk first.
 * Chunk vectors are cached across runs in the OS temp folder (aiml-bench-quality-cache), so the
 * chunks/s figure is printed only for a run that embedded them. `AIML_EMBED_MAX_TOKENS` sets the
 * local models' window (cached apart from the default's).
 *
 * `AIML_BENCH_RERANK=llm` adds "hybrid + LLM rerank": the configured chat model (OPENAI_API_KEY /
 * OPENAI_BASE_URL, AIML_MODEL; the offline model is refused, it cannot rank) reorders each
 * query's top 20 hybrid hits, one request per query.
 */

/**
 * A static model's knowledge bases are searched in two stages (src/rag/refine.ts): the row
 * "refined by …" scores the weighted hybrid's top 30 again with the transformer, fused with BM25,
 * exactly as the retriever does. Its time a query is with the chunks' transformer vectors cold
 * unless that model's row above has cached them (it has, in a full run).
 *
 * The two "search_code (BUILD agent)" rows run the agent's own index (src/agent/tools/code-index.ts)
 * over the corpus written to a folder: by words alone, and with the worker's local models. On the
 * npm corpus (one module per task) two more rows measure the files a DESIGN or a plan is shown
 * (src/design/workspace-context.ts): recall@5 and @8 of the wanted module among them, by words
 * over the files' starts and by meaning (those files are all there is; no MRR); and three more a
 * plan's context for specs of three sections (the share of their modules shown), the spec as one
 * query against part by part. On every corpus two "context floors" rows give the cosines the
 * context floors (CONTEXT_SIMILARITY) are set from: the wanted piece's, and the best any piece
 * scores for briefs about unrelated systems, with the files such a brief would be shown.
 */

/** A model the bench ranks with. */
interface BenchModel {
  make: () => EmbeddingProvider;
}

interface Target {
  path: string;
  /** Docs: a heading the chunk's heading trail contains (case-insensitive). */
  section?: string;
  /** Code: the chunk's symbol is this one or a member of it (`Session` matches `Session.send`). */
  symbol?: string;
}
interface Query {
  query: string;
  relevant: (string | Target)[];
}
interface Corpus {
  name: string;
  files: { path: string; text: string }[];
  queries: Query[];
  unit: 'file' | 'symbol';
}

const DATA = path.join(PROJECT_ROOT, 'bench/data');
const NODE_MODULES = path.join(PROJECT_ROOT, 'node_modules');

function walk(root: string, rel: string, keep: (f: string) => boolean, out: { path: string; text: string }[], base: string): void {
  const abs = path.join(root, rel);
  if (fs.statSync(abs).isFile()) {
    if (keep(abs)) out.push({ path: path.relative(base, abs).split(path.sep).join('/'), text: fs.readFileSync(abs, 'utf8') });
    return;
  }
  for (const e of fs.readdirSync(abs)) walk(root, path.join(rel, e), keep, out, base);
}

function readSpec(file: string): { sources?: string[]; pip?: string[]; queries: Query[] } {
  return JSON.parse(fs.readFileSync(path.join(DATA, file), 'utf8'));
}

function npmCorpus(): Corpus {
  const spec = readSpec('npm-tasks.json');
  const files: Corpus['files'] = [];
  for (const s of spec.sources!) walk(NODE_MODULES, s, (f) => f.endsWith('.js') && !f.endsWith('.min.js'), files, NODE_MODULES);
  return { name: 'npm (tasks → module)', files, queries: spec.queries, unit: 'file' };
}

function pypiCorpus(work: string): Corpus | string {
  const spec = readSpec('pypi-tasks.json');
  const wheels = path.join(work, 'wheels');
  const dl = spawnSync('python3', ['-m', 'pip', 'download', '-q', '--no-deps', '--only-binary', ':all:', '-d', wheels, ...spec.pip!], { encoding: 'utf8' });
  if (dl.status !== 0) return `pip download failed: ${(dl.stderr || dl.stdout).trim().split('\n').pop()}`;
  const src = path.join(work, 'site');
  for (const w of fs.readdirSync(wheels)) spawnSync('python3', ['-m', 'zipfile', '-e', path.join(wheels, w), src]);
  const files: Corpus['files'] = [];
  walk(src, '.', (f) => f.endsWith('.py'), files, src);
  return { name: 'pypi (tasks → function/class)', files, queries: spec.queries, unit: 'symbol' };
}

function docsCorpus(): Corpus {
  const spec = readSpec('docs-questions.json');
  const files: Corpus['files'] = [];
  for (const s of spec.sources!) walk(NODE_MODULES, s, (f) => /\.md$/i.test(f), files, NODE_MODULES);
  return { name: 'docs (questions → section)', files, queries: spec.queries, unit: 'symbol' };
}

/** The lexical analysis before this change: plain identifier split, path and symbol as text. */
const plainAnalyser: Analyser = (text, f) => lexTerms(`${f?.path?.replace(/[/.]/g, ' ') ?? ''} ${f?.symbol ?? ''} ${text}`);

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function denseSearch(vectors: Float32Array[], chunks: Chunk[], q: Float32Array, k: number): ScoredId[] {
  return vectors
    .map((v, i) => ({ id: chunks[i]!.id, score: dot(v, q) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

interface Scores {
  recall5: number;
  mrr10: number;
  ndcg10: number;
}

/** `AIML_BENCH_MISSES=<row label part>`: rows whose label contains it list the queries they miss in the top 5, with their top 3. */
const MISSES = process.env.AIML_BENCH_MISSES;

/** Whether a chunk is one a query wants: its file, and its symbol or section where the target names one. */
function isRelevant(q: Query, c: Pick<Chunk, 'path' | 'symbol'>): boolean {
  return q.relevant.some((t) => {
    const target = typeof t === 'string' ? { path: t } : t;
    const sym = c.symbol ?? '';
    if (c.path !== target.path) return false;
    if (target.symbol && sym !== target.symbol && !sym.startsWith(`${target.symbol}.`)) return false;
    return !target.section || sym.toLowerCase().includes(target.section.toLowerCase());
  });
}

function score(corpus: Corpus, byId: Map<string, Chunk>, rankings: ScoredId[][], label = ''): Scores {
  const s: Scores = { recall5: 0, mrr10: 0, ndcg10: 0 };
  corpus.queries.forEach((q, qi) => {
    const units: Chunk[] = [];
    const seen = new Set<string>();
    for (const r of rankings[qi]!) {
      const c = byId.get(r.id)!;
      const unit = corpus.unit === 'file' ? c.path : `${c.path}#${c.symbol ?? ''}`;
      if (seen.has(unit)) continue;
      seen.add(unit);
      units.push(c);
      if (units.length === 10) break;
    }
    const rank = units.findIndex((c) => isRelevant(q, c));
    if (MISSES && label.includes(MISSES) && (rank < 0 || rank >= 5)) {
      process.stdout.write(`   miss (${label}, rank ${rank < 0 ? '>10' : rank + 1}): ${q.query}\n      want ${JSON.stringify(q.relevant)}\n      got  ${units.slice(0, 3).map((c) => `${c.path}#${c.symbol ?? ''}`).join(' | ')}\n`);
    }
    if (rank < 0) return;
    if (rank < 5) s.recall5 += 1;
    s.mrr10 += 1 / (rank + 1);
    s.ndcg10 += 1 / Math.log2(rank + 2);
  });
  const n = corpus.queries.length;
  return { recall5: s.recall5 / n, mrr10: s.mrr10 / n, ndcg10: s.ndcg10 / n };
}

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(48)} ${value}\n`);
}

const fmt = (s: Scores, base?: Scores) =>
  `${s.recall5.toFixed(3)}  ${s.mrr10.toFixed(3)}  ${s.ndcg10.toFixed(3)}${base ? `   ${(s.recall5 / base.recall5).toFixed(2)}x` : ''}`;

/** The reranker AIML_BENCH_RERANK asks for, or why there is none. */
function benchReranker(): Reranker | string {
  if (process.env.AIML_BENCH_RERANK !== 'llm') return 'n/a: no cross-encoder ships in a registry package here; AIML_BENCH_RERANK=llm measures the LLM reranker with a configured model';
  return createLlmReranker(new LlmGateway(loadLlmConfig(process.env, { requireEndpoint: true })));
}

/** The fused ranking reordered by `rerank` (its top 20), as chunk ids. */
async function reranked(rerank: Reranker, query: string, fused: ScoredId[], byId: Map<string, Chunk>): Promise<ScoredId[]> {
  const hits: SearchHit[] = fused.map((r) => {
    const c = byId.get(r.id)!;
    return { id: c.id, path: c.path, text: c.text, score: r.score, language: c.language, symbol: c.symbol, kind: c.kind, startLine: c.startLine, endLine: c.endLine };
  });
  return (await rerank(query, hits)).map((h, i) => ({ id: h.id, score: hits.length - i }));
}

async function evaluate(corpus: Corpus, models: BenchModel[], rerank: Reranker | string, maxTokens?: number): Promise<void> {
  const chunks = corpus.files.flatMap((f) => chunkFile(f.path, f.text));
  const byId = new Map(chunks.map((c) => [c.id, c]));
  process.stdout.write(`\n== ${corpus.name}: ${corpus.files.length} files, ${chunks.length} chunks, ${corpus.queries.length} queries\n`);
  line('', 'recall@5  MRR@10  nDCG@10   recall@5 vs BM25');
  const plain = new Bm25Index(1.2, 0.75, plainAnalyser);
  const fielded = new Bm25Index();
  for (const c of chunks) {
    plain.add(c.id, c.text, c);
    fielded.add(c.id, c.text, c);
  }
  const pool = 50;
  const texts = corpus.queries.map((q) => q.query);
  const base = score(corpus, byId, texts.map((q) => plain.search(q, pool)), 'BM25, plain tokens (before)');
  line('BM25, plain tokens (before)', fmt(base, base));
  const lexical = texts.map((q) => fielded.search(q, pool));
  line('BM25, identifier fields + stemming', fmt(score(corpus, byId, lexical, 'BM25, identifier fields + stemming'), base));
  const rewritten = texts.map((q) => rewriteQuery(q));
  const lexicalMulti = rewritten.map((vs) => reciprocalRankFusion(vs.map((v) => fielded.search(v, pool)), 20));
  line('BM25 + query rewriting (RRF)', fmt(score(corpus, byId, lexicalMulti), base));
  for (const model of models) {
    const embedder = model.make();
    const cache = new EmbeddingCache(path.join(os.tmpdir(), 'aiml-bench-quality-cache'), embedder.cacheKey ?? embedder.id, embedder.dims);
    await embedder.embed(['warm up']);
    const t = Date.now();
    const { vectors, cached } = await embedCached(embedder, cache, chunks.map(embeddingText));
    const fresh = chunks.length - cached;
    const rate = fresh ? `embedded ${((fresh / (Date.now() - t)) * 1000).toFixed(1)} chunks/s` : 'vectors from cache';
    const name = embedder.id.replace('local:', '');
    const qv = await embedder.embed(texts);
    const dense = qv.map((v) => denseSearch(vectors, chunks, v, pool));
    line(`dense ${name}`, `${fmt(score(corpus, byId, dense), base)}   (${rate})`);
    const hybrid = dense.map((d, i) => reciprocalRankFusion([d, lexical[i]!], 20));
    line(`hybrid ${name} (RRF)`, fmt(score(corpus, byId, hybrid), base));
    const weighted = dense.map((d, i) => reciprocalRankFusion([d, lexical[i]!], 20, [DENSE_WEIGHT, 1]));
    line(`hybrid ${name} (RRF, dense weight ${DENSE_WEIGHT})`, fmt(score(corpus, byId, weighted), base));
    const kv = await embedder.embed(rewritten.map((vs) => vs[1] ?? vs[0]!));
    const multi = rewritten.map((vs, i) => {
      const lists = vs.map((v) => fielded.search(v, pool));
      lists.push(dense[i]!);
      if (vs.length > 1) lists.push(denseSearch(vectors, chunks, kv[i]!, pool));
      return reciprocalRankFusion(lists, 20);
    });
    line(`hybrid ${name} + query rewriting`, fmt(score(corpus, byId, multi), base));
    const refinerId = refinerModelOf(embedder.id);
    if (refinerId) {
      const teacher = localEmbedder(refinerId, { maxTokens })!;
      const teacherCache = new EmbeddingCache(path.join(os.tmpdir(), 'aiml-bench-quality-cache'), teacher.cacheKey ?? teacher.id, teacher.dims);
      const refiner = cachedRefiner(teacher, teacherCache);
      const t = Date.now();
      const refined: ScoredId[][] = [];
      for (let i = 0; i < texts.length; i++) {
        const head = weighted[i]!.slice(0, REFINE_WINDOW);
        const sims = await refiner.similarities(texts[i]!, head.map((r) => embeddingText(byId.get(r.id)!)));
        refined.push(refinedOrder(head, sims, weighted[i]!.slice(REFINE_WINDOW), [lexical[i]!], 20, DENSE_WEIGHT));
      }
      line(`hybrid ${name}, refined by ${refinerId.replace('local:', '')}`, `${fmt(score(corpus, byId, refined, 'refined'), base)}   (${((Date.now() - t) / texts.length).toFixed(0)} ms a query)`);
      teacherCache.close();
    }
    if (typeof rerank !== 'string') {
      const t = Date.now();
      const llmRanked = [];
      for (let i = 0; i < texts.length; i++) llmRanked.push(await reranked(rerank, texts[i]!, weighted[i]!, byId));
      line(`hybrid ${name} + LLM rerank (top 20)`, `${fmt(score(corpus, byId, llmRanked), base)}   (${((Date.now() - t) / texts.length).toFixed(0)} ms a query)`);
    }
    cache.close();
  }
  if (typeof rerank === 'string') line('hybrid + rerank', rerank);
  await codeSearchRows(corpus, byId, base, maxTokens);
}

/**
 * The BUILD agent's search_code over the same files written to a folder (its own index: the
 * workspace lister, the test-file prior), by words alone and with the worker's local models.
 */
async function codeSearchRows(corpus: Corpus, byId: Map<string, Chunk>, base: Scores, maxTokens?: number): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-code-'));
  const teacher = new LocalOnnxEmbedder({ maxTokens });
  const teacherCache = new EmbeddingCache(path.join(os.tmpdir(), 'aiml-bench-quality-cache'), teacher.cacheKey ?? teacher.id, teacher.dims);
  try {
    for (const f of corpus.files) {
      fs.mkdirSync(path.dirname(path.join(ws, f.path)), { recursive: true });
      fs.writeFileSync(path.join(ws, f.path), f.text);
    }
    const models: CodeModels = { embedder: new StaticEmbedder({ maxTokens }), refiner: cachedRefiner(teacher, teacherCache) };
    let t = Date.now();
    const { index } = await wholeCodeIndex(ws, models, 10 * 60_000);
    const indexed = `indexed and embedded in ${((Date.now() - t) / 1000).toFixed(1)} s${index.modelsFailed ? `; the models failed: ${index.modelsFailed}` : ''}`;
    const ids = (hits: { chunk: Chunk }[]) => hits.filter((h) => byId.has(h.chunk.id)).map((h, i) => ({ id: h.chunk.id, score: hits.length - i }));
    const lexical = corpus.queries.map((q) => ids(index.search(q.query, 50)));
    line('search_code (BUILD agent), words only', fmt(score(corpus, byId, lexical, 'search_code (BUILD agent), words only'), base));
    t = Date.now();
    const refined = [];
    for (const q of corpus.queries) refined.push(ids((await index.searchHybrid(q.query, 50, undefined, models)).hits));
    line('search_code (BUILD agent), by meaning, refined', `${fmt(score(corpus, byId, refined, 'search_code (BUILD agent), by meaning, refined'), base)}   (${indexed}; ${((Date.now() - t) / corpus.queries.length).toFixed(0)} ms a query)`);
    if (corpus.unit === 'file') await contextRows(corpus, ws, models);
    await floorRows(corpus, index, models, ws);
  } finally {
    teacherCache.close();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/** The files a DESIGN or a plan is shown for each task: recall@5 and @8 of the wanted module, by words over file starts and by meaning. */
async function contextRows(corpus: Corpus, ws: string, models: CodeModels): Promise<void> {
  const recall = (lists: string[][], n: number) => lists.filter((l, i) => l.slice(0, n).some((p) => corpus.queries[i]!.relevant.includes(p))).length / lists.length;
  const row = (label: string, lists: string[][], extra = '') => line(label, `recall@5 ${recall(lists, 5).toFixed(3)}  recall@8 ${recall(lists, 8).toFixed(3)}  ${(lists.reduce((n, l) => n + l.length, 0) / lists.length).toFixed(1)} files a task${extra}`);
  row('design/plan context, words over file starts', corpus.queries.map((q) => gatherWorkspaceContext(ws, q.query).map((f) => f.path)));
  const t = Date.now();
  const byMeaning = [];
  for (const q of corpus.queries) byMeaning.push((await meaningContext(models, ws, q.query, {})).map((f) => f.path));
  row('design/plan context, by meaning', byMeaning, `  (${((Date.now() - t) / corpus.queries.length).toFixed(0)} ms a task)`);
  await specRows(corpus, ws, models);
}

async function meaningContext(models: CodeModels, ws: string, query: string | ContextQuery, opts: ContextOptions): Promise<ContextFile[]> {
  const found = await workspaceContext({ codeModels: models }, ws, query, opts);
  if (found.ranking !== 'meaning') throw new Error(`the context was ranked by words: ${found.why ?? 'no reason given'}`);
  return found.files;
}

/** Briefs about systems none of the corpora is about, for `floorRows`. */
const UNRELATED_BRIEFS = [
  'A fraud detection model serving pipeline with a feature store and drift monitoring',
  'Route support tickets to the right team with a classifier trained on past tickets',
  'Recommend products to shoppers from their browsing history with embeddings',
  'Forecast demand for each warehouse a week ahead from sales history',
  'A voice assistant that books meetings from spoken requests',
  'Detect defects in photos of circuit boards on the production line',
];

/**
 * What the context floors (CONTEXT_SIMILARITY in src/design/context.ts) are set from: MiniLM's
 * cosine between each task and the best piece of what it wants, against the best any piece scores
 * for briefs about unrelated systems, and how many files such a brief is shown.
 */
async function floorRows(corpus: Corpus, index: Awaited<ReturnType<typeof wholeCodeIndex>>['index'], models: CodeModels, ws: string): Promise<void> {
  const scored = async (q: string) => {
    const { hits } = await index.searchHybrid(q, 40, undefined, models);
    const sims = await models.refiner!.similarities(q, hits.map((h) => embeddingText(h.chunk)));
    return hits.map((h, i) => ({ chunk: h.chunk, similarity: h.similarity ?? sims[i]! }));
  };
  const wanted: number[] = [];
  for (const q of corpus.queries) {
    const mine = (await scored(q.query)).filter((p) => isRelevant(q, p.chunk));
    if (mine.length) wanted.push(Math.max(...mine.map((p) => p.similarity)));
  }
  wanted.sort((a, b) => a - b);
  const at = (f: number) => wanted[Math.min(wanted.length - 1, Math.floor(wanted.length * f))]!.toFixed(2);
  line('context floors: wanted piece', `cosine min ${at(0)}  p10 ${at(0.1)}  median ${at(0.5)}  max ${at(1)}  (${wanted.length} of ${corpus.queries.length} found in the top 40)`);
  const unrelated: string[] = [];
  const byWords: number[] = [];
  for (const brief of UNRELATED_BRIEFS) {
    const best = Math.max(...(await scored(brief)).map((p) => p.similarity));
    const kept = (await meaningContext(models, ws, brief, {})).filter((f) => f.lines !== undefined).length;
    unrelated.push(`${best.toFixed(2)}/${kept}`);
    byWords.push(gatherWorkspaceContext(ws, brief).length);
  }
  line('context floors: unrelated briefs', `best cosine / files shown: ${unrelated.join('  ')}`);
  line('unrelated briefs, by words', `files shown: ${byWords.join('  ')}`);
}

/** A spec's opening, as real specs have one: about the project, naming no module. */
const SPEC_OVERVIEW =
  'This document describes the next version of the importer service. The service reads files that customers upload, turns them into internal records and hands them to the billing pipeline. It runs as one Node.js process behind the existing job queue; deployment does not change. Every change keeps the public API, ships behind a feature flag and has unit tests.';

/**
 * A plan's context for specs of three sections, each one task of another library (40 specs from the
 * npm tasks): the share of the three wanted modules among the files shown (8 at most), with the
 * spec as one query and searched part by part (planContextQuery).
 */
async function specRows(corpus: Corpus, ws: string, models: CodeModels): Promise<void> {
  const moduleOf = (q: Query): string => {
    const r = q.relevant[0]!;
    return typeof r === 'string' ? r : r.path;
  };
  const byLibrary = new Map<string, Query[]>();
  for (const q of corpus.queries) byLibrary.set(moduleOf(q).split('/')[0]!, [...(byLibrary.get(moduleOf(q).split('/')[0]!) ?? []), q]);
  const libraries = [...byLibrary.values()];
  const specs: { spec: string; wanted: string[] }[] = [];
  for (let i = 0; i < 10; i++) {
    for (let skip = 0; skip < libraries.length; skip++) {
      const tasks = libraries.filter((_, j) => j !== skip).map((l) => l[i % l.length]!);
      const sections = tasks.map((t, k) => `## Part ${k + 1}\n${t.query[0]!.toUpperCase()}${t.query.slice(1)}.\n`);
      specs.push({ spec: ['# Importer changes', '', '## Overview', SPEC_OVERVIEW, '', ...sections].join('\n'), wanted: tasks.map(moduleOf) });
    }
  }
  const shown = (lists: string[][]) => (lists.reduce((n, l, i) => n + specs[i]!.wanted.filter((w) => l.includes(w)).length, 0) / (3 * lists.length)).toFixed(3);
  const rows: [string, (spec: string) => Promise<string[]>][] = [
    ['plan context, 3-part specs, words, one query', async (spec) => gatherWorkspaceContext(ws, planContextQuery(spec).query.text, planContextQuery(spec).opts).map((f) => f.path)],
    ['plan context, 3-part specs, words by part', async (spec) => gatherWorkspaceContext(ws, planContextQuery(spec).query.parts, planContextQuery(spec).opts).map((f) => f.path)],
    ['plan context, 3-part specs, meaning, one query', async (spec) => (await meaningContext(models, ws, planContextQuery(spec).query.text, planContextQuery(spec).opts)).map((f) => f.path)],
    ['plan context, 3-part specs, meaning by part', async (spec) => (await meaningContext(models, ws, planContextQuery(spec).query, planContextQuery(spec).opts)).map((f) => f.path)],
  ];
  for (const [label, files] of rows) {
    const t = Date.now();
    const lists: string[][] = [];
    for (const s of specs) {
      const got = await files(s.spec);
      lists.push(got);
      const missed = s.wanted.filter((w) => !got.includes(w));
      if (MISSES && label.includes(MISSES) && missed.length) process.stdout.write(`  missed ${missed.join(', ')}\n    shown: ${got.join(', ')}\n`);
    }
    line(label, `wanted modules shown ${shown(lists)}  ${(lists.reduce((n, l) => n + l.length, 0) / lists.length).toFixed(1)} files a spec  (${((Date.now() - t) / specs.length).toFixed(0)} ms a spec)`);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-quality-'));
  await loadSyntax();
  const maxTokens = process.env.AIML_EMBED_MAX_TOKENS ? Number(process.env.AIML_EMBED_MAX_TOKENS) : undefined;
  const transformer = (model: LocalModelSpec): BenchModel => ({ make: () => new LocalOnnxEmbedder({ model, maxTokens }) });
  const models: BenchModel[] = [transformer(LOCAL_MODEL), { make: () => new StaticEmbedder() }];
  if (process.env.AIML_BENCH_MODELS !== 'default') {
    try {
      ensureLocalModel(process.env, (l) => process.stdout.write(`${l}\n`), BGE_SMALL_MODEL);
      models.push(transformer(BGE_SMALL_MODEL));
    } catch (err) {
      line('bge-small-en-v1.5-q', `skipped: ${(err as Error).message}`);
    }
  }
  const rerank = benchReranker(); // before any work: a missing endpoint is said at once
  try {
    const only = process.env.AIML_BENCH_CORPORA?.split(',').map((c) => c.trim());
    const corpora: [string, () => Corpus | string][] = [['npm', npmCorpus], ['pypi', () => pypiCorpus(work)], ['docs', docsCorpus]];
    for (const c of corpora.filter(([name]) => !only || only.includes(name)).map(([, make]) => make())) {
      if (typeof c === 'string') line('pypi corpus', `skipped: ${c}`);
      else await evaluate(c, models, rerank, maxTokens);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  line('\nbench time', `${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  process.stderr.write(`bench:rag-quality failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
