import { Bm25Index, lexTerms } from '../../src/rag/bm25';
import { diversify, reciprocalRankFusion } from '../../src/rag/fusion';
import type { ChunkMeta } from '../../src/rag/types';

const meta = (path: string, language = 'typescript', kind: ChunkMeta['kind'] = 'function'): ChunkMeta => ({ path, language, kind, startLine: 1, endLine: 2, hash: 'h' });

test('lexical terms split identifiers by camelCase and snake_case and keep the whole word', () => {
  expect(lexTerms('parseGitIgnore(HTTPServer, max_file_bytes) the a')).toEqual([
    'parsegitignore', 'parse', 'git', 'ignore', 'httpserver', 'http', 'server', 'max_file_bytes', 'max', 'file', 'bytes',
  ]);
});

test('BM25 ranks the rarer, denser match first, applies filters, and forgets removed documents', () => {
  const idx = new Bm25Index();
  idx.add('a', 'retry the request with exponential backoff on timeout', meta('src/http.ts'));
  idx.add('b', 'the request object holds headers', meta('src/types.ts'));
  idx.add('c', 'backoff backoff jitter', meta('docs/retry.md', 'markdown', 'section'));
  expect(idx.search('exponential backoff', 3).map((h) => h.id)).toEqual(['a', 'c']);
  expect(idx.search('backoff', 3, { language: 'markdown' }).map((h) => h.id)).toEqual(['c']);
  expect(idx.search('request', 3, { pathPrefix: 'src/types' }).map((h) => h.id)).toEqual(['b']);
  idx.remove('a');
  expect(idx.search('exponential', 3)).toEqual([]);
  expect(idx.size).toBe(2);
});

test('reciprocal-rank fusion rewards agreement between rankers', () => {
  const fused = reciprocalRankFusion([
    [{ id: 'x', score: 9 }, { id: 'y', score: 5 }],
    [{ id: 'y', score: 0.9 }, { id: 'z', score: 0.8 }],
  ]);
  expect(fused.map((f) => f.id)).toEqual(['y', 'x', 'z']);
  expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 10);
});

test('diversify caps hits per file in the top k, then fills with the rest', () => {
  const hits = ['a1', 'a2', 'a3', 'b1', 'a4', 'c1'].map((id) => ({ id, file: id[0]! }));
  expect(diversify(hits, 4, (h) => h.file, 2).map((h) => h.id)).toEqual(['a1', 'a2', 'b1', 'c1']);
  expect(diversify(hits, 6, (h) => h.file, 1).map((h) => h.id)).toEqual(['a1', 'b1', 'c1', 'a2', 'a3', 'a4']);
});
