import { reciprocalRankFusion } from '../../src/rag/fusion';

test('weighted reciprocal-rank fusion lets the heavier list win a disagreement', () => {
  const dense = [{ id: 'd', score: 0.9 }, { id: 'x', score: 0.5 }];
  const lexical = [{ id: 'l', score: 9 }, { id: 'x', score: 5 }];
  expect(reciprocalRankFusion([dense, lexical], 20)[0]!.id).toBe('x'); // agreement first
  const weighted = reciprocalRankFusion([dense, lexical], 20, [2, 1]);
  expect(weighted.map((h) => h.id)).toEqual(['x', 'd', 'l']);
  expect(weighted[1]!.score).toBeCloseTo(2 / 21, 10);
  expect(weighted[0]!.score).toBeCloseTo(2 / 22 + 1 / 22, 10);
});
