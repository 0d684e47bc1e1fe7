import { contentWords, rewriteQuery } from '../../src/rag/query';

test('a natural-language question is searched as asked, as content words, and in code vocabulary', () => {
  const [asked, keywords, code] = rewriteQuery('How do I remove a file from the cache?');
  expect(asked).toBe('How do I remove a file from the cache?');
  expect(keywords).toBe('remove file cache');
  expect(code!.split(' ')).toEqual(expect.arrayContaining(['remove', 'delete', 'path', 'removeFile', 'fileCache']));
});

test('code-like queries and single words are not rewritten', () => {
  expect(rewriteQuery('parseGitIgnore')).toEqual(['parseGitIgnore']);
  expect(rewriteQuery('src/rag/bm25.ts')).toEqual(['src/rag/bm25.ts']);
  expect(rewriteQuery('kb.store.search(vector)')).toEqual(['kb.store.search(vector)']);
  expect(rewriteQuery('how to')).toEqual(['how to']);
});

test('content words drop question words and punctuation', () => {
  expect(contentWords('What does the retry policy do when a request times out?')).toEqual(['retry', 'policy', 'request', 'times', 'out']);
});
