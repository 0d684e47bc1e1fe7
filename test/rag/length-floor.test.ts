import { Bm25Index, documentTerms } from '../../src/rag/bm25';
import { MIN_NORM_TERMS } from '../../src/rag/lexical';
import { documentSparse, querySparse } from '../../src/rag/store/sparse';
import type { ChunkMeta } from '../../src/rag/types';

const meta = (path: string, symbol: string | undefined, kind: ChunkMeta['kind']): ChunkMeta => ({ path, language: 'typescript', symbol, kind, startLine: 1, endLine: 9, hash: 'h' });

// A one-line import that names the term once, and the function that does the work and uses it three times.
const IMPORT = { id: 'import', text: "import { redact } from './secrets';", meta: meta('src/cli/print.ts', undefined, 'lines') };
const FUNCTION = {
  id: 'function',
  text: `/** Writes one log line, with credentials removed first. */
export function logLine(level: string, message: string, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, time: new Date().toISOString(), message: redact(message) });
  const extra = Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v]);
  const tail = extra.length ? ' ' + redact(JSON.stringify(Object.fromEntries(extra))) : '';
  // Lines past the terminal's width are cut, so a long stack trace does not flood the screen.
  const width = process.stderr.columns ?? 120;
  const shown = level === 'debug' && line.length + tail.length > width ? (line + tail).slice(0, width - 1) + '…' : line + tail;
  if (process.env.LOG_FORMAT === 'plain') process.stderr.write(\`\${level.toUpperCase()} \${message}\\n\`);
  else process.stderr.write(shown + '\\n');
}`,
  meta: meta('src/observability/logger.ts', 'logLine', 'function'),
};
const OTHERS = ['open the store file and replay its log', 'parse the command line flags', 'start the worker on a task queue', 'format a duration for the terminal'];

test('BM25: a one-line chunk naming the term once does not outrank a function that uses it three times', () => {
  const idx = new Bm25Index();
  for (const d of [IMPORT, FUNCTION]) idx.add(d.id, d.text, d.meta);
  OTHERS.forEach((t, i) => idx.add(`other${i}`, t, meta(`src/other${i}.ts`, undefined, 'lines')));
  expect(documentTerms(IMPORT.text, IMPORT.meta).length).toBeLessThan(MIN_NORM_TERMS);
  expect(idx.search('redact', 5).map((h) => h.id)).toEqual(['function', 'import']);
});

test('sparse vectors (Qdrant) normalise by the same floor: the function outweighs the import for the query term', () => {
  const [term] = querySparse('redact').indices;
  const weight = (d: typeof IMPORT) => {
    const v = documentSparse(d.text, d.meta);
    return v.values[v.indices.indexOf(term!)]!;
  };
  expect(weight(FUNCTION)).toBeGreaterThan(weight(IMPORT));
});
