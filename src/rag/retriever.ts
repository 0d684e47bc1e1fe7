import type { RetrievedSnippet } from '../design/context';
import { AimlError } from '../errors';
import { redactSecrets } from '../security/secrets';
import { diversify, reciprocalRankFusion } from './fusion';
import type { KnowledgeBase } from './knowledge-base';
import { rewriteQuery } from './query';
import type { KbRegistry } from './registry';
import type { ChunkFilter, ScoredId, SymbolKind } from './types';

export type SearchMode = 'hybrid' | 'dense' | 'lexical';

/**
 * How much more a dense list weighs than a lexical one in the fusion: on bench:rag-quality's three
 * sets, 2 raised MRR@10 and nDCG@10 on each over equal weights.
 */
export const DENSE_WEIGHT = 2;

export interface SearchOptions {
  k?: number;
  mode?: SearchMode;
  filter?: ChunkFilter;
  /** At most this many hits from one file in the top k (0: no limit). Default 2. */
  perFile?: number;
  /** How many candidates each ranker contributes before fusion. Default max(50, 5k). */
  candidates?: number;
  /**
   * Reciprocal-rank-fusion constant: smaller lets the top ranks of each list weigh more. Default 20,
   * chosen on a development set (@temporalio/common + commander) kept apart from bench:rag's eval set.
   */
  rrfK?: number;
  /**
   * Also search rewrites of a natural-language query (its content words, code synonyms, joined
   * identifiers; see query.ts) and fuse every list. Default false: on bench:rag-quality it is
   * mixed (recall@5 up on the PyPI and docs sets, down on the npm set).
   */
  rewrite?: boolean;
  /** Optional reranker over the fused candidates (for example a cross-encoder), best first. */
  rerank?: (query: string, hits: SearchHit[]) => Promise<SearchHit[]>;
}

export interface SearchHit extends RetrievedSnippet {
  id: string;
  language: string;
  symbol?: string;
  kind: SymbolKind;
  startLine: number;
  endLine: number;
}

/** Ingest stores chunks redacted; this also covers knowledge bases indexed before it did. */
function redactHit(hit: SearchHit): SearchHit {
  const { text, redactions } = redactSecrets(hit.text, hit.path);
  if (!redactions.length) return hit;
  const offset = hit.startLine - 1;
  return { ...hit, text, redactions: redactions.map((r) => ({ ...r, line: r.line + offset })) };
}

/**
 * The fused candidates. A store that ranks lexically itself (Qdrant) does the BM25 half and the
 * fusion in its own request; for the others (the embedded store) BM25 runs here, in memory.
 */
async function candidates(kb: KnowledgeBase, query: string, mode: SearchMode, pool: number, opts: SearchOptions): Promise<ScoredId[]> {
  const rrfK = opts.rrfK ?? 20;
  const server = kb.store.ranking;
  const variants = opts.rewrite ? rewriteQuery(query) : [query];
  // The question and its content words; the synonym variant is for the lexical side only.
  const vectors = mode === 'lexical' ? [] : await kb.embedder.embed(variants.slice(0, 2));
  if (server && mode === 'hybrid' && variants.length === 1) return server.hybridSearch({ vector: vectors[0]!, text: query }, { candidates: pool, rrfK, filter: opts.filter });
  const lists: ScoredId[][] = [];
  for (const vector of vectors) lists.push(await kb.store.search(vector, pool, opts.filter));
  const denseLists = lists.length;
  if (mode !== 'dense') {
    for (const v of variants) lists.push(server ? await server.lexicalSearch(v, pool, opts.filter) : (await kb.lexical()).search(v, pool, opts.filter));
  }
  const weights = lists.map((_, i) => (i < denseLists ? DENSE_WEIGHT : 1));
  return lists.length === 1 ? lists[0]! : reciprocalRankFusion(lists, rrfK, weights);
}

/**
 * Hybrid retrieval over a knowledge base: dense (cosine over the store) and lexical (BM25)
 * candidates (for the query, and its rewrites when asked) fused by reciprocal rank, the same
 * metadata filter on both, an optional reranker, then a per-file cap so one file does not fill
 * the top k.
 */
export class HybridRetriever {
  /** `defaults.rerank` is what `search` (the activities' view) reranks with. */
  constructor(
    private readonly registry: KbRegistry,
    private readonly defaults: Pick<SearchOptions, 'rerank'> = {},
  ) {}

  async query(kbName: string, query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    if (!query.trim()) throw new AimlError('INPUT_INVALID', 'The search query is empty');
    const k = opts.k ?? 10;
    const mode = opts.mode ?? 'hybrid';
    const pool = opts.candidates ?? Math.max(50, 5 * k);
    const kb = await this.registry.get(kbName);
    const ranked = await candidates(kb, query, mode, pool, opts);
    const docs = new Map((await kb.store.get(ranked.map((r) => r.id))).map((d) => [d.id, d]));
    let hits: SearchHit[] = ranked.flatMap((r) => {
      const d = docs.get(r.id);
      if (!d) return [];
      const m = d.meta;
      return [{ id: r.id, path: m.path, startLine: m.startLine, endLine: m.endLine, score: r.score, text: d.text, language: m.language, symbol: m.symbol, kind: m.kind }];
    });
    if (opts.rerank) hits = await opts.rerank(query, hits);
    const perFile = opts.perFile ?? 2;
    return (perFile > 0 ? diversify(hits, k, (h) => h.path, perFile) : hits.slice(0, k)).map(redactHit);
  }

  /** The design and build activities' view (deps.Retriever). */
  async search(kb: string, query: string, k: number): Promise<RetrievedSnippet[]> {
    return this.query(kb, query, { k, rerank: this.defaults.rerank });
  }
}
