import fs from 'node:fs';
import path from 'node:path';
import { chunkFile } from '../src/rag/chunk';

/**
 * An evaluation set from source we did not write (a library in node_modules): each doc comment
 * becomes a query, the symbol it documents is the relevant chunk, and the corpus is indexed with
 * every doc comment removed, so no query can simply be looked up verbatim (as CodeSearchNet does).
 */
export interface EvalQuery {
  query: string;
  path: string; // relative to the corpus root
  symbol: string; // the documented name; relevant = a chunk of that file whose symbol ends with it
}

const DOC = /\/\*\*([\s\S]*?)\*\/[ \t]*\r?\n([^\n]*)/g;
const NAME_PATTERNS = [
  /^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|interface|type|enum|const|let|var)\s+([A-Za-z_$][\w$]*)/,
  /^\s*(?:(?:public|private|protected|static|async|readonly|override|abstract|get|set)\s+)*(#?[A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\(/,
];

function docToQuery(doc: string): string | undefined {
  const text = doc
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, ''))
    .join(' ')
    .split(/\s@\w+/)[0]! // description only, no @param/@returns
    .replace(/\{@link\s+([^}|\s]+)[^}]*\}/g, '$1')
    .replace(/`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const sentence = /^(.{20,}?[.!?])(\s|$)/.exec(text)?.[1] ?? text;
  const words = sentence.split(' ').filter(Boolean);
  return words.length >= 4 ? words.slice(0, 40).join(' ') : undefined;
}

/** Copies the sources under `sources` into `corpusDir` without doc comments, and returns the queries. */
export function buildEvalSet(sources: { from: string; as: string }[], corpusDir: string): EvalQuery[] {
  const queries: EvalQuery[] = [];
  const seen = new Set<string>();
  for (const src of sources) {
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) walk(abs);
        else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) {
          const rel = path.posix.join(src.as, path.relative(src.from, abs).split(path.sep).join('/'));
          const original = fs.readFileSync(abs, 'utf8');
          const stripped = original.replace(/[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\r?\n/g, '');
          fs.mkdirSync(path.dirname(path.join(corpusDir, rel)), { recursive: true });
          fs.writeFileSync(path.join(corpusDir, rel), stripped);
          const symbols = new Set(chunkFile(rel, stripped).map((c) => c.symbol?.split('.').pop()).filter(Boolean));
          for (const m of original.matchAll(DOC)) {
            const name = NAME_PATTERNS.map((re) => re.exec(m[2]!)?.[1]).find(Boolean);
            const query = docToQuery(m[1]!);
            if (!name || !query || !symbols.has(name) || seen.has(query)) continue;
            seen.add(query);
            queries.push({ query, path: rel, symbol: name });
          }
        }
      }
    };
    walk(src.from);
  }
  return queries;
}

export function isRelevant(q: EvalQuery, hit: { path: string; symbol?: string }): boolean {
  return hit.path === q.path && hit.symbol?.split('.').pop() === q.symbol;
}

/** nDCG@k and recall@k with binary relevance; `relevantTotal` is how many relevant chunks exist. */
export function scoreRanking(rels: boolean[], relevantTotal: number, k = 10): { ndcg: number; recall: number } {
  let dcg = 0;
  let found = 0;
  rels.slice(0, k).forEach((r, i) => {
    if (r) {
      dcg += 1 / Math.log2(i + 2);
      found += 1;
    }
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(relevantTotal, k); i++) idcg += 1 / Math.log2(i + 2);
  return { ndcg: idcg ? dcg / idcg : 0, recall: relevantTotal ? found / relevantTotal : 0 };
}
