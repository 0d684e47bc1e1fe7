import fs from 'node:fs';
import { CODE_INDEX_BUDGET_MS, codeIndex } from '../agent/tools/code-index';
import { contextFromPieces, gatherWorkspaceContext, type ContextFile, type ContextOptions, type ContextPiece } from './context';
import { embeddingText } from '../rag/knowledge-base';
import type { ContextRanking } from '../contracts/run-details';
import type { CodeModels } from '../agent/tools/types';

/** Pieces asked of the code index for a context: enough for eight files of several pieces each. */
const CONTEXT_PIECES = 40;
/** The query the code index ranks with: a brief's or spec's start (MiniLM reads only its first 128 tokens, its window, anyway). */
const CONTEXT_QUERY_CHARS = 4000;
/**
 * How long context gathering waits for a workspace's chunks to be embedded: longer than a search
 * waits, as a design or a plan is drafted once, and its model call takes far longer.
 */
export const CONTEXT_EMBED_WAIT_MS = 20_000;

/**
 * A query in parts (a spec's sections), each ranked on its own, their files taken in turns: one
 * query of a whole spec finds its first sections' code (MiniLM reads a query's first 128 tokens; BM25
 * weighs the words of the longest sections). `text` is the query when there is one part.
 */
export interface ContextQuery {
  text: string;
  parts: string[];
}

/** A spec is searched as at most this many parts (its first sections). */
export const SPEC_PARTS = 10;
/** A part's query: its heading and the start of its text. */
const PART_CHARS = 1200;
/** A section with less text than this (a heading, a one-liner) is not searched on its own. */
const PART_MIN_CHARS = 24;

/** aiml's own SPECS.md (design/render.ts) holds its six sections as the items of this block. */
const DESIGN_BLOCK = 'AI/ML ARCHITECTURE DESIGN:';
/** Sections that say how the spec came about, not what to build. */
const META_SECTION = /^#{1,6}\s+approval record\s*$/i;

/** A Markdown heading's level (1 for `#`), or 0 for a line that is not one. */
const headingLevel = (line: string): number => /^(#{1,6})\s/.exec(line)?.[1]!.length ?? 0;

/**
 * A spec's parts to search by: its sections (split at its title's level and at the first level
 * below it that has two headings or more, `##` in most specs; deeper headings stay inside their
 * section; lines in code fences are never headings) and, in aiml's own SPECS.md, each item of its
 * architecture block (LLM integration, vector database, …); each part its heading and text's
 * start, those with hardly any text and the approval record left out; the text before the first
 * heading is a part too. A spec without such parts is one, its start.
 */
export function specParts(spec: string): string[] {
  const lines = spec.split('\n');
  // Which lines are inside code fences (their `#` lines are comments, not headings).
  let fenced = false;
  const inFence = lines.map((line) => {
    if (line.trim().startsWith('```')) {
      fenced = !fenced;
      return true;
    }
    return fenced;
  });
  const counts = new Map<number, number>();
  lines.forEach((line, i) => {
    const level = inFence[i] ? 0 : headingLevel(line);
    if (level >= 2) counts.set(level, (counts.get(level) ?? 0) + 1);
  });
  const repeated = [...counts].filter(([, n]) => n >= 2).map(([level]) => level);
  const splitLevel = repeated.length ? Math.min(...repeated) : 2;
  const sections: string[][] = [[]];
  let inBlock = false;
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === DESIGN_BLOCK) {
      inBlock = true;
      return;
    }
    if (trimmed.startsWith('```')) {
      // A fence says nothing to search by; the end of the architecture block ends its last item.
      if (inBlock) sections.push([]);
      inBlock = false;
      return;
    }
    const level = inFence[i] ? 0 : headingLevel(line);
    if ((level >= 1 && level <= splitLevel) || (inBlock && /^- [^:]{2,80}:/.test(line))) sections.push([line]);
    else sections[sections.length - 1]!.push(line);
  });
  const parts = sections
    .filter((section) => !META_SECTION.test(section[0] ?? ''))
    .map((section) => {
      const text = section.join('\n').trim();
      // What it says besides its heading or item label.
      const body = text.replace(/^#{1,6}\s.*$/m, '').replace(/^- [^:]{2,80}:/, '');
      return { text: text.slice(0, PART_CHARS), body };
    })
    .filter((p) => p.body.replace(/\s+/g, '').length >= PART_MIN_CHARS)
    .map((p) => p.text)
    .slice(0, SPEC_PARTS);
  return parts.length > 1 ? parts : [spec.slice(0, CONTEXT_QUERY_CHARS)];
}

/**
 * What a DESIGN's context is gathered with: the brief, in parts when it has sections (a brief pasted
 * from a Markdown file), with the default room (8 files of 2,000 bytes).
 */
export function designContextQuery(brief: string): { query: ContextQuery; opts: ContextOptions } {
  return { query: { text: brief.slice(0, CONTEXT_QUERY_CHARS), parts: specParts(brief) }, opts: {} };
}

/** A plan's room for workspace files: 8 of 3,000 bytes; a spec of three parts or more, the same bytes as 12 files of 2,000. */
const PLAN_ROOM = { files: 8, excerptBytes: 3000 } as const;
const PLAN_ROOM_WIDE = { minParts: 3, files: 12, excerptBytes: 2000 } as const;

/**
 * What a BUILD plan's context is gathered with: the spec's sections as the parts of the query (its
 * start for the words ranking), the spec itself not shown again. A spec about several things gets
 * more, shorter files in the same room (on bench:rag-quality's three-part specs the wanted modules
 * shown go from .61 to .66 by meaning, .61 to .67 by words).
 */
export function planContextQuery(spec: string): { query: ContextQuery; opts: ContextOptions } {
  const parts = specParts(spec);
  const room = parts.length >= PLAN_ROOM_WIDE.minParts ? PLAN_ROOM_WIDE : PLAN_ROOM;
  return { query: { text: spec.slice(0, CONTEXT_QUERY_CHARS), parts }, opts: { maxFiles: room.files, excerptBytes: room.excerptBytes, shown: spec } };
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
  query: string | ContextQuery,
  opts: ContextOptions,
  signal?: AbortSignal,
  embedWaitMs = CONTEXT_EMBED_WAIT_MS,
): Promise<{ files: ContextFile[]; ranking: ContextRanking; why?: string }> {
  const { text, parts } = typeof query === 'string' ? { text: query, parts: [query] } : query;
  const byWords = (why?: string) => ({ files: gatherWorkspaceContext(root, parts.length > 1 ? parts : text, opts), ranking: 'words' as const, ...(why ? { why } : {}) });
  const models = deps.codeModels;
  if (!models?.refiner || !fs.existsSync(root)) return byWords();
  // Gathering context installs nothing: on a host without the models (npm run setup, a knowledge
  // base or the agent's first search_code installs them) it ranks by words.
  if (models.embedder.installed?.() === false) return byWords('the local models are not installed on this host yet (npm run setup installs them)');
  try {
    const { index, pending, unembedded, modelsFailed } = await codeIndex(root, signal, CODE_INDEX_BUDGET_MS, models, embedWaitMs);
    if (modelsFailed) return byWords(`the local models failed: ${modelsFailed}`);
    if (pending || unembedded) return byWords(`the workspace is not indexed by meaning yet (${pending} files to read, ${unembedded} pieces to embed)`);
    const lists: ContextPiece[][] = [];
    for (const part of parts) {
      const q = part.slice(0, CONTEXT_QUERY_CHARS);
      const { hits, ranking } = await index.searchHybrid(q, CONTEXT_PIECES, undefined, models, signal);
      if (ranking !== 'refined') return byWords(index.modelsFailed ? `the local models failed: ${index.modelsFailed}` : undefined);
      // The search scored its top 30 with the refiner already; the rest of the 40 are scored here.
      const unscored = hits.filter((h) => h.similarity === undefined);
      const more = unscored.length ? await models.refiner.similarities(q, unscored.map((h) => embeddingText(h.chunk)), signal) : [];
      const similarityOf = new Map(unscored.map((h, i) => [h.chunk.id, more[i]!]));
      lists.push(hits.map((h) => ({ path: h.chunk.path, startLine: h.chunk.startLine, endLine: h.chunk.endLine, text: h.chunk.text, similarity: h.similarity ?? similarityOf.get(h.chunk.id)! })));
    }
    return { files: contextFromPieces(root, lists.length === 1 ? lists[0]! : lists, opts), ranking: 'meaning' };
  } catch (err) {
    if (signal?.aborted) throw err;
    return byWords(`ranking by meaning failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
