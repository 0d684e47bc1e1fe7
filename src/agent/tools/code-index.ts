import fs from 'node:fs';
import path from 'node:path';
import { Bm25Index } from '../../rag/bm25';
import { chunkFile, loadSyntax } from '../../rag/chunk';
import type { Chunk, ChunkFilter } from '../../rag/types';
import { looksBinary } from '../../rag/walker';
import { isGenerated, isTestPath, listWorkspace, TEST_PRIOR } from '../../workspace/lister';
import { protectedReason } from '../../workspace/paths';

/**
 * A lexical index of a workspace's files, as search_code ranks them: each file split by its syntax
 * (the knowledge bases' chunker), chunks ranked by BM25 over identifiers split into words, with
 * the path and symbol as weighted fields. Kept in memory per workspace folder and brought up to
 * date on each search by file size and mtime, so only changed files are read again.
 */

const MAX_FILE_BYTES = 1_000_000;
/** Files looked at per workspace, as context gathering does. */
export const CODE_INDEX_MAX_FILES = 5000;
/** Workspaces kept indexed at once (the real one and a shadow copy), least recently used dropped: about 7 KB of heap per chunk, its text included (this repository: 2,847 chunks, 19 MB). */
const KEPT_WORKSPACES = 2;

/** How often a refresh lets the event loop run, in files. */
const YIELD_EVERY = 20;
/** How long one search may spend indexing before it answers from what is indexed so far. */
export const CODE_INDEX_BUDGET_MS = 20_000;

interface Refreshed {
  /** Files in the index. */
  files: number;
  /** Files read again by this refresh. */
  reread: number;
  /** The workspace has more files than are looked at. */
  truncated: boolean;
  /** Files not looked at yet because the time budget ran out (the next search goes on). */
  pending: number;
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

  private queue: Promise<unknown> = Promise.resolve();

  /** Brings the index up to date; one refresh at a time (the reads of a turn run concurrently). */
  refresh(root: string, budgetMs: number, signal?: AbortSignal): Promise<Refreshed> {
    const run = this.queue.then(() => this.refreshNow(root, budgetMs, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads the files that changed since the last refresh, yielding to the event loop every few
   * files (a worker's other activities and heartbeats go on); stops after `budgetMs` with the rest
   * `pending`, which the next refresh picks up where this one stopped.
   */
  private async refreshNow(root: string, budgetMs: number, signal?: AbortSignal): Promise<Refreshed> {
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

  /** The best `k` chunks; tests and fixtures at a share of their score, as in design context. */
  search(query: string, k: number, filter?: ChunkFilter): { chunk: Chunk; score: number }[] {
    return this.bm25
      .search(query, k * 4, filter)
      .map((h) => {
        const chunk = this.chunks.get(h.id)!;
        return { chunk, score: isTestPath(chunk.path) ? h.score * TEST_PRIOR : h.score };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  private drop(rel: string): void {
    for (const c of this.files.get(rel)?.chunks ?? []) {
      this.bm25.remove(c.id);
      this.chunks.delete(c.id);
    }
    this.files.delete(rel);
  }
}

const indexes = new Map<string, CodeIndex>();

/** The workspace's index, up to date with its files. */
export async function codeIndex(root: string, signal?: AbortSignal, budgetMs = CODE_INDEX_BUDGET_MS): Promise<{ index: CodeIndex } & Refreshed> {
  await loadSyntax();
  const key = path.resolve(root);
  const index = indexes.get(key) ?? new CodeIndex();
  indexes.delete(key);
  indexes.set(key, index); // most recently used last
  while (indexes.size > KEPT_WORKSPACES) indexes.delete(indexes.keys().next().value!);
  return { index, ...(await index.refresh(key, budgetMs, signal)) };
}
