import { lexicalTerms, stem } from '../../src/rag/lexical';

test('stemming brings inflections of one word together and leaves short words alone', () => {
  expect(new Set(['parse', 'parses', 'parsed', 'parsing', 'parser'].map(stem))).toEqual(new Set(['pars']));
  expect(stem('retries')).toBe(stem('retry'));
  expect(stem('class')).toBe('class');
  expect(stem('uses')).toBe('uses');
});

test('a chunk counts its symbol and file name above its text; a query is its text only', () => {
  const doc = lexicalTerms('return delay * 2', { path: 'src/http/retry-policy.ts', symbol: 'RetryPolicy.nextDelay' });
  const count = (t: string) => doc.filter((x) => x === t).length;
  expect(count('delay')).toBe(1 + 3); // text once, symbol part three times
  expect(count('nextdelay')).toBe(3);
  expect(count('policy')).toBe(2 + 3); // file name twice, symbol three times
  expect(count('http')).toBe(2); // parent folder is part of the path field
  expect(count('src')).toBe(1); // the rest of the path counts once
  expect(lexicalTerms('How do I retry requests with backoff?')).toEqual(['retry', 'request', 'backoff']);
});
