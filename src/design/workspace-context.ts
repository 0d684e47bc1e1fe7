import fs from 'node:fs';
import { CODE_INDEX_BUDGET_MS, codeIndex } from '../agent/tools/code-index';
import { contextFromPieces, gatherWorkspaceContext, type ContextFile, type ContextOptions } from './context';
import { embeddingText } from '../rag/knowledge-base';
import type { ContextRanking } from '../contracts/run-details';
import type { CodeModels } from '../agent/tools/types';

/** Pieces asked of the code index for a context: enough for eight files of several pieces each. */
const CONTEXT_PIECES = 40;
/** The query the code index ranks with: a brief's or spec's start (MiniLM reads only its first 256 tokens anyway). */
const CONTEXT_QUERY_CHARS = 4000;
/**
 * How long context gathering waits for a workspace's chunks to be embedded: longer than a search
 * waits, as a design or a plan is drafted once, and its model call takes far longer.
 */
export const CONTEXT_EMBED_WAIT_MS = 20_000;

/** What a BUILD plan's context is gathered with: the spec's start as the query, 8 files of 3,000 bytes, the spec itself not shown again. */
export function planContextQuery(spec: string): { query: string; opts: ContextOptions } {
  return { query: spec.slice(0, CONTEXT_QUERY_CHARS), opts: { maxFiles: 8, excerptBytes: 3000, shown: spec } };
}

/**
 * The workspace files a brief or spec is about. With the worker's local models, the code index
 * (the one search_code uses, so the agent's later searches find it warm) ranks the workspace's
 * pieces by words and meaning, and `contextFromPieces` keeps the files of those that are about the
 * query; when that cannot be done now (no models, the workspace is too big to index or embed in
 * time, the models fail), BM25 over the files' starts (`gatherWorkspaceContext`). `why` says why
 * it fell back, when it did for a reason worth logging.
 */
export async function workspaceContext(
  deps: { codeModels?: CodeModels },
  root: string,
  query: string,
  opts: ContextOptions,
  signal?: AbortSignal,
  embedWaitMs = CONTEXT_EMBED_WAIT_MS,
): Promise<{ files: ContextFile[]; ranking: ContextRanking; why?: string }> {
  const byWords = (why?: string) => ({ files: gatherWorkspaceContext(root, query, opts), ranking: 'words' as const, ...(why ? { why } : {}) });
  const models = deps.codeModels;
  if (!models?.refiner || !fs.existsSync(root)) return byWords();
  // Gathering context installs nothing: on a host without the models (npm run setup, a knowledge
  // base or the agent's first search_code installs them) it ranks by words.
  if (models.embedder.installed?.() === false) return byWords('the local models are not installed on this host yet (npm run setup installs them)');
  const q = query.slice(0, CONTEXT_QUERY_CHARS);
  try {
    const { index, pending, unembedded, modelsFailed } = await codeIndex(root, signal, CODE_INDEX_BUDGET_MS, models, embedWaitMs);
    if (modelsFailed) return byWords(`the local models failed: ${modelsFailed}`);
    if (pending || unembedded) return byWords(`the workspace is not indexed by meaning yet (${pending} files to read, ${unembedded} pieces to embed)`);
    const { hits, ranking } = await index.searchHybrid(q, CONTEXT_PIECES, undefined, models, signal);
    if (ranking !== 'refined') return byWords(index.modelsFailed ? `the local models failed: ${index.modelsFailed}` : undefined);
    // The search scored its top 30 with the refiner already; the rest of the 40 are scored here.
    const unscored = hits.filter((h) => h.similarity === undefined);
    const more = unscored.length ? await models.refiner.similarities(q, unscored.map((h) => embeddingText(h.chunk)), signal) : [];
    const similarityOf = new Map(unscored.map((h, i) => [h.chunk.id, more[i]!]));
    const pieces = hits.map((h) => ({ path: h.chunk.path, startLine: h.chunk.startLine, endLine: h.chunk.endLine, text: h.chunk.text, similarity: h.similarity ?? similarityOf.get(h.chunk.id)! }));
    return { files: contextFromPieces(root, pieces, opts), ranking: 'meaning' };
  } catch (err) {
    if (signal?.aborted) throw err;
    return byWords(`ranking by meaning failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
