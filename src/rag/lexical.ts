/**
 * The lexical analyser shared by the in-process BM25 index and the stores' sparse vectors: one
 * function, `lexicalTerms`, turns a chunk (its text, plus its path and symbol as fields) or a
 * query (text only) into the terms that are counted. Keep the two sides on the same function so a
 * query's terms always meet the documents' terms.
 */

const STOP = new Set(
  'a an and are as at be but by for from has have if in into is it its of on or that the their then there these this to was were will with not no can do does how what which when where who why i we you my our your me'.split(
    ' ',
  ),
);

/** Where a chunk lives and what it is called; each is analysed like text and weighted above it. */
export interface LexicalFields {
  /** Path relative to the knowledge base (`src/http/retry-policy.ts`). */
  path?: string;
  /** Symbol path (`RetryPolicy.backoff`, `Install > From source`). */
  symbol?: string;
}

/**
 * The shortest length (in terms, fields included) BM25 normalises a chunk by. Without a floor a
 * chunk of one line with one matching identifier scores as if that term filled it, and beats a
 * whole function that uses the term several times; the in-process index and the stores' sparse
 * vectors both normalise by `Math.max(terms, MIN_NORM_TERMS)`.
 */
export const MIN_NORM_TERMS = 40;

/** How many times a field's terms count against one occurrence in the text (BM25F by repetition). */
export const FIELD_WEIGHTS = { path: 2, symbol: 3 } as const;

/**
 * Words and identifiers, lowercased, stop words dropped; an identifier also gives its parts
 * (`parseGitIgnore`, `parse_git_ignore` and `parse-git-ignore` give parse, git, ignore).
 * No stemming: exactly the tokens written.
 */
export function splitWords(text: string): string[] {
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

/**
 * A light English suffix stripper (plural, -ing, -ed, -er, -ly), so "parses", "parsing" and
 * "parsed" meet "parse"/"parser". Words of 4 letters or fewer are kept as they are.
 */
export function stem(word: string): string {
  if (word.length <= 4 || /\d/.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 5) w = `${w.slice(0, -3)}y`;
  else if (/(ss|us|is)$/.test(w)) return w;
  else if (/(sses|xes|ches|shes|zes)$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s')) w = w.slice(0, -1);
  for (const suffix of ['ing', 'ed', 'er', 'ly']) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 4) {
      w = w.slice(0, -suffix.length);
      if (/([^aeiouslz])\1$/.test(w)) w = w.slice(0, -1); // running → run, stopped → stop
      break;
    }
  }
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1); // parse, parser, parsing → pars
  return w;
}

/**
 * The terms of a query (`lexicalTerms(query)`) or of a chunk (`lexicalTerms(text, { path,
 * symbol })`), with repeats: a term's count is its weight. Field terms are repeated by
 * FIELD_WEIGHTS; for a path only the file name and its parent folder count as the path field,
 * the rest of the path once.
 */
export function lexicalTerms(text: string, fields: LexicalFields = {}): string[] {
  const out = splitWords(text).map(stem);
  const addField = (value: string | undefined, weight: number): void => {
    if (!value) return;
    const terms = splitWords(value).map(stem);
    for (let i = 0; i < weight; i++) out.push(...terms);
  };
  if (fields.path) {
    const segments = fields.path.replace(/\.[A-Za-z0-9]+$/, '').split('/');
    addField(segments.slice(-2).join(' '), FIELD_WEIGHTS.path);
    addField(segments.slice(0, -2).join(' '), 1);
  }
  addField(fields.symbol, FIELD_WEIGHTS.symbol);
  return out;
}
