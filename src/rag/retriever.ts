import type { RetrievedSnippet } from '../design/context';
import { AimlError } from '../errors';
import { diversify, reciprocalRankFusion } from './fusion';
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
    const variants = opts.rewrite ? rewriteQuery(query) : [query];
    const lists: ScoredId[][] = [];
    if (mode !== 'lexical') {
      // The question and its content words; the synonym variant is for the lexical side only.
      for (const vector of await kb.embedder.embed(variants.slice(0, 2))) lists.push(await kb.store.search(vector, pool, opts.filter));
    }
    const denseLists = lists.length;
    if (mode !== 'dense') {
      const lexical = await kb.lexical();
      for (const v of variants) lists.push(lexical.search(v, pool, opts.filter));
    }
    const weights = lists.map((_, i) => (i < denseLists ? DENSE_WEIGHT : 1));
    const ranked = lists.length === 1 ? lists[0]! : reciprocalRankFusion(lists, opts.rrfK ?? 20, weights);
    const docs = new Map((await kb.store.get(ranked.map((r) => r.id))).map((d) => [d.id, d]));
    let hits: SearchHit[] = ranked.flatMap((r) => {
      const d = docs.get(r.id);
      if (!d) return [];
      const m = d.meta;
      return [{ id: r.id, path: m.path, startLine: m.startLine, endLine: m.endLine, score: r.score, text: d.text, language: m.language, symbol: m.symbol, kind: m.kind }];
    });
    if (opts.rerank) hits = await opts.rerank(query, hits);
    const perFile = opts.perFile ?? 2;
    return perFile > 0 ? diversify(hits, k, (h) => h.path, perFile) : hits.slice(0, k);
  }

  /** The design and build activities' view (deps.Retriever). */
  async search(kb: string, query: string, k: number): Promise<RetrievedSnippet[]> {
    return this.query(kb, query, { k, rerank: this.defaults.rerank });
  }
}
