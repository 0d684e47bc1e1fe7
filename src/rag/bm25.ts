import { lexicalTerms, MIN_NORM_TERMS, splitWords, type LexicalFields } from './lexical';
import { matchesFilter, type ChunkFilter, type ChunkMeta, type ScoredId } from './types';

/** Plain word and identifier split (no stemming, no fields): kept for callers that want raw tokens. */
export const lexTerms = splitWords;

/** What turns a chunk (text plus its path and symbol) or a query (text only) into counted terms. */
export type Analyser = (text: string, fields?: LexicalFields) => string[];

/** The terms a chunk is ranked by lexically (the same analysis as the BM25 index: fields weighted, words stemmed). */
export function documentTerms(text: string, meta: Pick<ChunkMeta, 'path' | 'symbol'>): string[] {
  return lexicalTerms(text, { path: meta.path, symbol: meta.symbol });
}

/** The terms of a query, analysed as the index analyses documents. */
export function queryTerms(query: string): string[] {
  return lexicalTerms(query);
}

interface Doc {
  id: string;
  meta: ChunkMeta;
  length: number;
  terms: Map<string, number>;
}

/**
 * Okapi BM25 (k1 = 1.2, b = 0.75) over chunks analysed by `lexicalTerms`: the text, with the
 * path and symbol as weighted fields; a chunk's length counts as at least MIN_NORM_TERMS.
 */
export class Bm25Index {
  private readonly docs = new Map<string, Doc>();
  private readonly postings = new Map<string, Map<string, number>>();
  private totalLength = 0;

  constructor(
    private readonly k1 = 1.2,
    private readonly b = 0.75,
    private readonly analyse: Analyser = lexicalTerms,
  ) {}

  get size(): number {
    return this.docs.size;
  }

  add(id: string, text: string, meta: ChunkMeta): void {
    if (this.docs.has(id)) this.remove(id);
    const terms = new Map<string, number>();
    const all = this.analyse(text, { path: meta.path, symbol: meta.symbol });
    for (const t of all) terms.set(t, (terms.get(t) ?? 0) + 1);
    this.docs.set(id, { id, meta, length: all.length, terms });
    this.totalLength += all.length;
    for (const [t, tf] of terms) {
      let p = this.postings.get(t);
      if (!p) this.postings.set(t, (p = new Map()));
      p.set(id, tf);
    }
  }

  remove(id: string): void {
    const doc = this.docs.get(id);
    if (!doc) return;
    this.docs.delete(id);
    this.totalLength -= doc.length;
    for (const t of doc.terms.keys()) {
      const p = this.postings.get(t);
      p?.delete(id);
      if (p && !p.size) this.postings.delete(t);
    }
  }

  search(query: string, k: number, filter?: ChunkFilter): ScoredId[] {
    const n = this.docs.size;
    if (!n) return [];
    const avg = this.totalLength / n;
    const scores = new Map<string, number>();
    for (const t of new Set(this.analyse(query))) {
      const p = this.postings.get(t);
      if (!p) continue;
      const idf = Math.log(1 + (n - p.size + 0.5) / (p.size + 0.5));
      for (const [id, tf] of p) {
        const len = Math.max(this.docs.get(id)!.length, MIN_NORM_TERMS);
        const s = (idf * tf * (this.k1 + 1)) / (tf + this.k1 * (1 - this.b + (this.b * len) / avg));
        scores.set(id, (scores.get(id) ?? 0) + s);
      }
    }
    const hits: ScoredId[] = [];
    for (const [id, score] of scores) if (matchesFilter(this.docs.get(id)!.meta, filter)) hits.push({ id, score });
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return hits.slice(0, k);
  }
}
