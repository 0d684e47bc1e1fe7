import type { RetrievedSnippet } from '../design/context';
import { AimlError, isAimlError } from '../errors';
import { redactSecrets } from '../security/secrets';
import { DENSE_WEIGHT, diversify, reciprocalRankFusion, RRF_K } from './fusion';
import { embeddingText, type KnowledgeBase } from './knowledge-base';
import { rewriteQuery } from './query';
import { REFINE_WINDOW, refinedOrder } from './refine';
import type { KbRegistry } from './registry';
import type { StoredDoc } from './store/types';
import type { ChunkFilter, ScoredId, SymbolKind } from './types';

export type SearchMode = 'hybrid' | 'dense' | 'lexical';

export interface SearchOptions {
  k?: number;
  mode?: SearchMode;
  filter?: ChunkFilter;
  /** At most this many hits from one file in the top k (0: no limit). Default 2. */
  perFile?: number;
  /** How many candidates each ranker contributes before fusion. Default max(50, 5k). */
  candidates?: number;
  /** Reciprocal-rank-fusion constant; default `RRF_K` (fusion.ts). */
  rrfK?: number;
  /**
   * Also search rewrites of a natural-language query (its content words, code synonyms, joined
   * identifiers; see query.ts) and fuse every list. Default false: on bench:rag-quality it is
   * mixed (recall@5 up on the PyPI and docs sets, down on the npm set).
   */
  rewrite?: boolean;
  /**
   * For a knowledge base indexed with a fast static model: let the transformer it was distilled
   * from score the top candidates again (refine.ts). Default true; no effect on other models.
   */
  refine?: boolean;
  /** Optional reranker over the fused candidates (for example a cross-encoder), best first. */
  rerank?: (query: string, hits: SearchHit[]) => Promise<SearchHit[]>;
  /** Hears of a search answered with less than it was asked for (the second stage failed and was skipped). */
  notice?: (line: string) => void;
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
async function candidates(kb: KnowledgeBase, query: string, mode: SearchMode, pool: number, opts: SearchOptions): Promise<{ ranked: ScoredId[]; lexical?: ScoredId[][] }> {
  const rrfK = opts.rrfK ?? RRF_K;
  const server = kb.store.ranking;
  const variants = opts.rewrite ? rewriteQuery(query) : [query];
  // The question and its content words; the synonym variant is for the lexical side only.
  const vectors = mode === 'lexical' ? [] : await kb.embedder.embed(variants.slice(0, 2));
  if (server && mode === 'hybrid' && variants.length === 1) return { ranked: await server.hybridSearch({ vector: vectors[0]!, text: query }, { candidates: pool, rrfK, filter: opts.filter }) };
  const dense: ScoredId[][] = [];
  for (const vector of vectors) dense.push(await kb.store.search(vector, pool, opts.filter));
  const lexical = mode === 'dense' ? [] : await lexicalLists(kb, variants, pool, opts.filter);
  const lists = [...dense, ...lexical];
  const weights = lists.map((_, i) => (i < dense.length ? DENSE_WEIGHT : 1));
  return { ranked: lists.length === 1 ? lists[0]! : reciprocalRankFusion(lists, rrfK, weights), lexical };
}

/** BM25 candidates for each variant of the query: from the store when it ranks lexically itself, else from the in-memory index. */
async function lexicalLists(kb: KnowledgeBase, variants: string[], pool: number, filter?: ChunkFilter): Promise<ScoredId[][]> {
  const server = kb.store.ranking;
  const lists: ScoredId[][] = [];
  for (const v of variants) lists.push(server ? await server.lexicalSearch(v, pool, filter) : (await kb.lexical()).search(v, pool, filter));
  return lists;
}

/**
 * The second stage for a knowledge base with a refiner: its model scores the first stage's top
 * `window` chunks, whose order is then fused with the lexical lists as in the first stage (those
 * the first stage made, else asked of the store now: Qdrant fused them in its own request).
 */
async function refine(kb: KnowledgeBase, query: string, mode: SearchMode, first: { ranked: ScoredId[]; lexical?: ScoredId[][] }, docs: Map<string, StoredDoc>, window: number, pool: number, opts: SearchOptions): Promise<ScoredId[]> {
  const { ranked } = first;
  const head = ranked.filter((r) => docs.has(r.id)).slice(0, window);
  if (head.length < 2) return ranked;
  const texts = head.map((r) => {
    const d = docs.get(r.id)!;
    return embeddingText({ ...d.meta, id: d.id, text: d.text });
  });
  const similarities = await kb.refiner!.similarities(query, texts);
  const inHead = new Set(head.map((h) => h.id));
  const lexical = mode !== 'hybrid' ? [] : (first.lexical ?? (await lexicalLists(kb, opts.rewrite ? rewriteQuery(query) : [query], pool, opts.filter)));
  return refinedOrder(head, similarities, ranked.filter((r) => !inHead.has(r.id)), lexical, opts.rrfK ?? RRF_K, DENSE_WEIGHT);
}

/**
 * Hybrid retrieval over a knowledge base: dense (cosine over the store) and lexical (BM25)
 * candidates (for the query, and its rewrites when asked) fused by reciprocal rank, the same
 * metadata filter on both, the top ones scored again by a stronger model where the knowledge base
 * has one (refine.ts), an optional reranker, then a per-file cap so one file does not fill the top k.
 */
export class HybridRetriever {
  /** `defaults.rerank` is what `search` (the activities' view) reranks with; `defaults.notice` hears of skipped second stages. */
  constructor(
    private readonly registry: KbRegistry,
    private readonly defaults: Pick<SearchOptions, 'rerank' | 'notice'> = {},
  ) {}

  async query(kbName: string, query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    if (!query.trim()) throw new AimlError('INPUT_INVALID', 'The search query is empty');
    const k = opts.k ?? 10;
    const mode = opts.mode ?? 'hybrid';
    const pool = opts.candidates ?? Math.max(50, 5 * k);
    const kb = await this.registry.get(kbName);
    const first = await candidates(kb, query, mode, pool, opts);
    let ranked = first.ranked;
    const docs = new Map((await kb.store.get(ranked.map((r) => r.id))).map((d) => [d.id, d]));
    if (kb.refiner && mode !== 'lexical' && opts.refine !== false) {
      try {
        ranked = await refine(kb, query, mode, first, docs, Math.max(REFINE_WINDOW, k), pool, opts);
      } catch (err) {
        // The first stage's order is a good answer still: a search does not fail for want of its second stage.
        if (isAimlError(err, 'CANCELLED')) throw err;
        (opts.notice ?? this.defaults.notice)?.(`${kbName}: the second stage (${kb.refiner.id}) failed and was skipped: ${err instanceof Error ? err.message : String(err)}`);
      }
      const missing = ranked.filter((r) => !docs.has(r.id)).map((r) => r.id);
      for (const d of missing.length ? await kb.store.get(missing) : []) docs.set(d.id, d);
    }
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
