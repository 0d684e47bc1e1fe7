import { matchesFilter, type ChunkFilter, type ChunkMeta, type ScoredId } from './types';

const STOP = new Set(
  'a an and are as at be but by for from has have if in into is it its of on or that the their then there these this to was were will with not no can do does'.split(' '),
);

/** Lexical terms: words and identifiers, lowercased; `parseGitIgnore` and `parse_git_ignore` also give parse, git, ignore. */
export function lexTerms(text: string): string[] {
  const out: string[] = [];
  for (const word of text.match(/[A-Za-z0-9_$]+/g) ?? []) {
    const lower = word.toLowerCase();
    const parts = word
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .split(/[\s_$]+/)
      .map((p) => p.toLowerCase())
      .filter((p) => p.length > 1 && !STOP.has(p));
    if (lower.length > 1 && !STOP.has(lower)) out.push(lower);
    if (parts.length > 1) out.push(...parts);
  }
  return out;
}

/** The terms a chunk is ranked by lexically: its path and symbol name count as text. */
export function documentTerms(text: string, meta: Pick<ChunkMeta, 'path' | 'symbol'>): string[] {
  return lexTerms(`${meta.path.replace(/[/.]/g, ' ')} ${meta.symbol ?? ''} ${text}`);
}

interface Doc {
  id: string;
  meta: ChunkMeta;
  length: number;
  terms: Map<string, number>;
}

/** Okapi BM25 over chunk texts (with the path and symbol name counted as text), k1 = 1.2, b = 0.75. */
export class Bm25Index {
  private readonly docs = new Map<string, Doc>();
  private readonly postings = new Map<string, Map<string, number>>();
  private totalLength = 0;

  constructor(
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {}

  get size(): number {
    return this.docs.size;
  }

  add(id: string, text: string, meta: ChunkMeta): void {
    if (this.docs.has(id)) this.remove(id);
    const terms = new Map<string, number>();
    const all = documentTerms(text, meta);
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
    for (const t of new Set(lexTerms(query))) {
      const p = this.postings.get(t);
      if (!p) continue;
      const idf = Math.log(1 + (n - p.size + 0.5) / (p.size + 0.5));
      for (const [id, tf] of p) {
        const len = this.docs.get(id)!.length;
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
