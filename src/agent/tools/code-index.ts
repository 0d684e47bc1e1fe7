import fs from 'node:fs';
import path from 'node:path';
import { Bm25Index } from '../../rag/bm25';
import { chunkFile, loadSyntax } from '../../rag/chunk';
import { DENSE_WEIGHT, reciprocalRankFusion, RRF_K } from '../../rag/fusion';
import { embeddingText } from '../../rag/knowledge-base';
import { REFINE_WINDOW, refinedOrder } from '../../rag/refine';
import { dotAt } from '../../rag/store/flat-search';
import { TopK } from '../../rag/store/topk';
import { matchesFilter, type Chunk, type ChunkFilter, type ScoredId } from '../../rag/types';
import { looksBinary } from '../../rag/walker';
import { isGenerated, isTestPath, listWorkspace, TEST_PRIOR } from '../../workspace/lister';
import { normaliseFolder, protectedReason } from '../../workspace/paths';
import type { CodeModels } from './types';

/**
 * An index of a workspace's files, as search_code ranks them: each file split by its syntax (the
 * knowledge bases' chunker), chunks ranked by BM25 over identifiers split into words, with the
 * path and symbol as weighted fields, and, where the worker has local models (`CodeModels`), by
 * meaning too, as a minilm-static knowledge base is searched: each chunk embedded with the static
 * model, its cosine ranking fused with BM25's by reciprocal rank, and the top 30 scored again by
 * MiniLM. Kept in memory per workspace folder and brought up to date on each search by file size
 * and mtime, so only changed files are read (and embedded) again.
 */

const MAX_FILE_BYTES = 1_000_000;
/** Files looked at per workspace, as context gathering does. */
export const CODE_INDEX_MAX_FILES = 5000;
/** Workspaces kept indexed at once (the real one and a shadow copy), least recently used dropped: about 7 KB of heap per chunk, its text included, and 1.5 KB for its vector (this repository: 2,914 chunks, 25 MB). */
const KEPT_WORKSPACES = 2;

/** How often a refresh lets the event loop run, in files. */
const YIELD_EVERY = 20;
/** Chunks embedded at once (the static model yields between batches too). */
const EMBED_BATCH = 64;
/**
 * After the models fail (MiniLM cannot be installed here, an inference process was killed), how
 * long searches rank by words alone before trying them again (a killed process is replaced then).
 */
const MODELS_RETRY_MS = 60_000;

/** How long one search may spend indexing before it answers from what is indexed so far. */
export const CODE_INDEX_BUDGET_MS = 20_000;
/** How long a search waits for the background embedding before answering by words. */
export const CODE_INDEX_EMBED_WAIT_MS = 5_000;
/** A search waits for the background embedding only when at most this many chunks are left (the static model embeds about 1,000 a second on one core). */
const EMBED_WAIT_CHUNKS = 4_000;

/** Resolves when `p` does, after `ms`, or on abort, whichever is first. */
async function waitAtMost(p: Promise<unknown>, ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      p,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        onAbort = resolve;
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

interface Refreshed {
  /** Files in the index. */
  files: number;
  /** Files read again by this refresh. */
  reread: number;
  /** The workspace has more files than are looked at. */
  truncated: boolean;
  /** Files not looked at yet because the time budget ran out (the next search goes on). */
  pending: number;
  /** Chunks not embedded yet (the background embedding goes on), when the index has models. */
  unembedded: number;
  /** Why the index ranks by words alone although it was given models (they failed), if it does. */
  modelsFailed?: string;
}

/** How a search ranked: by words (BM25) alone, or fused with the static model's, and then refined by MiniLM. */
export type CodeRanking = 'lexical' | 'hybrid' | 'refined';

export interface CodeHit {
  chunk: Chunk;
  score: number;
  /** The refiner's cosine to the query, for the hits it scored (a refined search's top `REFINE_WINDOW`). */
  similarity?: number;
}

interface Entry {
  size: number;
  mtimeMs: number;
  chunks: Chunk[];
}

class CodeIndex {
  readonly bm25 = new Bm25Index();
  readonly files = new Map<string, Entry>();
  readonly chunks = new Map<string, Chunk>();
  /** Each chunk's vector under `vectorModel` (chunks not embedded yet have none). */
  readonly vectors = new Map<string, Float32Array>();
  private vectorModel?: string;
  /** When the models last failed, and why. */
  private failed?: { at: number; reason: string };

  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Brings the index up to date; one refresh at a time (the reads of a turn run concurrently). Given
   * models, chunks without a vector are then embedded in the background (`embedInBackground`), and
   * the refresh waits for that up to `embedWaitMs` (within its budget): a small workspace is embedded
   * by its first search, a big one goes on embedding while the agent works, and its searches rank by
   * words until it is done.
   */
  refresh(root: string, budgetMs: number, signal?: AbortSignal, models?: CodeModels, embedWaitMs = CODE_INDEX_EMBED_WAIT_MS): Promise<Refreshed> {
    const run = this.queue.then(async () => {
      const started = Date.now();
      const reading = this.refreshNow(root, budgetMs, signal);
      this.reading = reading;
      const r = await reading.finally(() => (this.reading = undefined));
      if (models && this.usable(models)) {
        const job = this.embedInBackground(root, models);
        // Not worth waiting for when it is far from done: this search ranks by words, the next ones by meaning.
        if (this.unembedded <= EMBED_WAIT_CHUNKS) await waitAtMost(job, Math.min(embedWaitMs, started + budgetMs - Date.now()), signal);
      }
      return { ...r, unembedded: models ? this.unembedded : 0, ...(models && this.failed ? { modelsFailed: this.failed.reason } : {}) };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Chunks without a vector (every vector is a live chunk's). */
  get unembedded(): number {
    return this.chunks.size - this.vectors.size;
  }

  /** Whether the models may be used now (not failed lately); vectors of another model are dropped. */
  private usable(models: CodeModels): boolean {
    if (this.failed && Date.now() - this.failed.at < MODELS_RETRY_MS) return false;
    this.failed = undefined;
    if (this.vectorModel !== models.embedder.id) {
      this.vectors.clear();
      this.vectorModel = models.embedder.id;
    }
    return true;
  }

  private fail(err: unknown, models: CodeModels): void {
    this.failed = { at: Date.now(), reason: err instanceof Error ? err.message : String(err) };
    models.notice?.(`search_code ranks by words alone for the next ${MODELS_RETRY_MS / 1000} s: ${models.embedder.id}${models.refiner ? ` or ${models.refiner.id}` : ''} failed: ${this.failed.reason}`);
  }

  /** The vector of chunk `id` under `model`, if this index has it (a chunk's id is its path and content: the same in a shadow copy). */
  vectorOf(id: string, model: string): Float32Array | undefined {
    return this.vectorModel === model ? this.vectors.get(id) : undefined;
  }

  /** The embedding job running for this index, if one is. */
  private embedding?: Promise<void>;
  /** The files being read by a refresh, if they are (the embedding job waits: the search waiting for it should not). */
  private reading?: Promise<unknown>;

  /** Starts embedding what has no vector yet, unless a job is running already; resolves when it ends. */
  private embedInBackground(key: string, models: CodeModels): Promise<void> {
    if (!this.embedding) {
      const job = this.embedAll(key, models);
      this.embedding = job;
      void job.finally(() => {
        if (this.embedding === job) this.embedding = undefined;
      });
    }
    return this.embedding;
  }

  /**
   * Embeds every chunk without a vector, a batch at a time (files changed meanwhile included); a
   * chunk another kept index has a vector for (the real workspace and its shadow copy share most)
   * takes that one. Stops when the index is dropped or its model changes; a failure of the models
   * is recorded (searches then rank by words), never thrown.
   */
  private async embedAll(key: string, models: CodeModels): Promise<void> {
    const model = models.embedder.id;
    const current = () => indexes.get(key) === this && this.vectorModel === model;
    try {
      for (;;) {
        const todo = [...this.chunks.values()].filter((c) => !this.vectors.has(c.id) && !this.borrow(c.id, model));
        if (!todo.length || !current()) return;
        for (let done = 0; done < todo.length && current(); done += EMBED_BATCH) {
          while (this.reading) await this.reading.catch(() => undefined);
          const batch = todo.slice(done, done + EMBED_BATCH).filter((c) => this.chunks.has(c.id) && !this.vectors.has(c.id));
          if (!batch.length) continue;
          const vectors = await models.embedder.embed(batch.map(embeddingText));
          // A file dropped meanwhile leaves its chunks out.
          if (current()) batch.forEach((c, i) => this.chunks.has(c.id) && this.vectors.set(c.id, vectors[i]!));
        }
      }
    } catch (err) {
      this.fail(err, models);
    }
  }

  /** Takes chunk `id`'s vector from another kept index, if one has it. */
  private borrow(id: string, model: string): boolean {
    for (const other of indexes.values()) {
      const v = other !== this ? other.vectorOf(id, model) : undefined;
      if (v) {
        this.vectors.set(id, v);
        return true;
      }
    }
    return false;
  }

  /**
   * Reads the files that changed since the last refresh, yielding to the event loop every few
   * files (a worker's other activities and heartbeats go on); stops after `budgetMs` with the rest
   * `pending`, which the next refresh picks up where this one stopped.
   */
  private async refreshNow(root: string, budgetMs: number, signal?: AbortSignal): Promise<Omit<Refreshed, 'unembedded' | 'modelsFailed'>> {
    const listing = listWorkspace(root, { limit: CODE_INDEX_MAX_FILES });
    const started = Date.now();
    const seen = new Set<string>();
    let reread = 0;
    let i = 0;
    for (; i < listing.files.length; i++) {
      if (i % YIELD_EVERY === 0) {
        await new Promise((r) => setImmediate(r));
        if (signal?.aborted || Date.now() - started > budgetMs) break;
      }
      const rel = listing.files[i]!;
      if (isGenerated(rel) || protectedReason(rel)) continue;
      let st: fs.Stats;
      try {
        st = fs.statSync(path.join(root, rel));
      } catch {
        continue;
      }
      if (st.size > MAX_FILE_BYTES) continue;
      seen.add(rel);
      const old = this.files.get(rel);
      if (old && old.size === st.size && old.mtimeMs === st.mtimeMs) continue;
      this.drop(rel);
      let chunks: Chunk[] = [];
      try {
        const buf = fs.readFileSync(path.join(root, rel));
        if (!looksBinary(buf)) chunks = chunkFile(rel, buf.toString('utf8'));
      } catch {
        continue;
      }
      reread += 1;
      this.files.set(rel, { size: st.size, mtimeMs: st.mtimeMs, chunks });
      for (const c of chunks) {
        this.chunks.set(c.id, c);
        this.bm25.add(c.id, c.text, c);
      }
    }
    const pending = listing.files.length - i;
    // Files gone from the workspace leave the index, once a whole pass has seen what is there.
    if (!pending) for (const rel of [...this.files.keys()]) if (!seen.has(rel)) this.drop(rel);
    return { files: pending ? this.files.size : seen.size, reread, truncated: listing.truncated, pending };
  }

  /** The best `k` chunks by BM25 alone; tests and fixtures at a share of their score, as in design context. */
  search(query: string, k: number, filter?: ChunkFilter): CodeHit[] {
    return this.ordered(this.bm25.search(query, k * 4, filter), k);
  }

  /**
   * The best `k` chunks by words and meaning: BM25's candidates fused with the embedded chunks'
   * cosine ranking (dense weighing `DENSE_WEIGHT`), then the refiner's similarities over the top
   * `REFINE_WINDOW` fused again with BM25's list, as knowledge-base search does. By words alone
   * without models, without vectors, or when the models fail (`ranking` says which).
   */
  async searchHybrid(query: string, k: number, filter: ChunkFilter | undefined, models: CodeModels | undefined, signal?: AbortSignal): Promise<{ hits: CodeHit[]; ranking: CodeRanking }> {
    // Until every chunk has a vector: a dense list over part of them would favour that part.
    if (!models || this.unembedded || this.vectorModel !== models.embedder.id || this.failed) return { hits: this.search(query, k, filter), ranking: 'lexical' };
    const pool = Math.max(50, 5 * k);
    const lexical = this.bm25.search(query, pool, filter);
    try {
      const [q] = await models.embedder.embed([query], signal);
      const fused = reciprocalRankFusion([this.dense(q!, pool, filter), lexical], RRF_K, [DENSE_WEIGHT, 1]);
      if (!models.refiner || fused.length < 2) return { hits: this.ordered(fused, k), ranking: 'hybrid' };
      const head = fused.slice(0, Math.max(REFINE_WINDOW, k));
      const similarities = await models.refiner.similarities(query, head.map((h) => embeddingText(this.chunks.get(h.id)!)), signal);
      const scored = new Map(head.map((h, i) => [h.id, similarities[i]!]));
      return { hits: this.ordered(refinedOrder(head, similarities, fused.slice(head.length), [lexical], RRF_K, DENSE_WEIGHT), k, scored), ranking: 'refined' };
    } catch (err) {
      if (signal?.aborted) throw err;
      this.fail(err, models);
      return { hits: this.ordered(lexical, k), ranking: 'lexical' };
    }
  }

  /** Why the models are not used now, if they failed lately. */
  get modelsFailed(): string | undefined {
    return this.failed?.reason;
  }

  /** The embedded chunks passing `filter` with the highest cosine to `q`. */
  private dense(q: Float32Array, n: number, filter?: ChunkFilter): ScoredId[] {
    const ids: string[] = [];
    const top = new TopK(n);
    for (const [id, v] of this.vectors) {
      if (filter && !matchesFilter(this.chunks.get(id)!, filter)) continue;
      top.push(ids.length, dotAt(v, 0, q, q.length));
      ids.push(id);
    }
    return top.sorted((slot) => ids[slot]!);
  }

  /** Ranked ids as hits, tests and fixtures at a share of their score, the best `k`. */
  private ordered(ranked: ScoredId[], k: number, similarities?: Map<string, number>): CodeHit[] {
    return ranked
      .map((h) => {
        const chunk = this.chunks.get(h.id)!;
        const similarity = similarities?.get(h.id);
        return { chunk, score: isTestPath(chunk.path) ? h.score * TEST_PRIOR : h.score, ...(similarity === undefined ? {} : { similarity }) };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  private drop(rel: string): void {
    for (const c of this.files.get(rel)?.chunks ?? []) {
      this.bm25.remove(c.id);
      this.chunks.delete(c.id);
      this.vectors.delete(c.id);
    }
    this.files.delete(rel);
  }
}

const indexes = new Map<string, CodeIndex>();

/** The workspace's index, up to date with its files (and their vectors, given models, as far as `embedWaitMs` allows). */
export async function codeIndex(
  root: string,
  signal?: AbortSignal,
  budgetMs = CODE_INDEX_BUDGET_MS,
  models?: CodeModels,
  embedWaitMs = CODE_INDEX_EMBED_WAIT_MS,
): Promise<{ index: CodeIndex } & Refreshed> {
  await loadSyntax();
  const key = path.resolve(root);
  const index = indexes.get(key) ?? new CodeIndex();
  indexes.delete(key);
  indexes.set(key, index); // most recently used last
  while (indexes.size > KEPT_WORKSPACES) indexes.delete(indexes.keys().next().value!);
  return { index, ...(await index.refresh(key, budgetMs, signal, models, embedWaitMs)) };
}

/**
 * The workspace's index once every file is read and (given models) every chunk embedded, or as far
 * as `maxMs` allows, or until the models fail: for callers that want the answer a warmed-up worker
 * gives (`aiml code search`, the bench), not the tool's answer-now-and-go-on.
 */
export async function wholeCodeIndex(root: string, models: CodeModels | undefined, maxMs: number): Promise<{ index: CodeIndex } & Refreshed> {
  const started = Date.now();
  let r = await codeIndex(root, undefined, maxMs, models, maxMs);
  while ((r.pending || (models && r.unembedded && !r.index.modelsFailed)) && Date.now() - started < maxMs) {
    await new Promise((res) => setTimeout(res, 250)); // a look pauses the embedding while it reads the files
    r = await codeIndex(root, undefined, maxMs, models, maxMs);
  }
  return r;
}

/** A folder given to search under, `/`-terminated for a path-prefix filter; undefined for the whole workspace. Throws PATH_REFUSED for one outside it. */
export function folderPrefix(folder: string | undefined): string | undefined {
  const under = normaliseFolder(folder);
  return under === undefined ? undefined : `${under}/`;
}
