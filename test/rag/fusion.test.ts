import { interleave, interleaveByStrength, reciprocalRankFusion } from '../../src/rag/fusion';

test('weighted reciprocal-rank fusion lets the heavier list win a disagreement', () => {
  const dense = [{ id: 'd', score: 0.9 }, { id: 'x', score: 0.5 }];
  const lexical = [{ id: 'l', score: 9 }, { id: 'x', score: 5 }];
  expect(reciprocalRankFusion([dense, lexical], 20)[0]!.id).toBe('x'); // agreement first
  const weighted = reciprocalRankFusion([dense, lexical], 20, [2, 1]);
  expect(weighted.map((h) => h.id)).toEqual(['x', 'd', 'l']);
  expect(weighted[1]!.score).toBeCloseTo(2 / 21, 10);
  expect(weighted[0]!.score).toBeCloseTo(2 / 22 + 1 / 22, 10);
});

test("interleave takes the lists in turns, each item once at its earliest place: every list's first before any list's second", () => {
  const a = ['yaml', 'shared', 'a2'];
  const b = ['uuid'];
  const c = ['shared', 'c2', 'c3'];
  expect(interleave([a, b, c], (x) => x)).toEqual(['yaml', 'uuid', 'shared', 'c2', 'a2', 'c3']);
  // Rank sums would have put 'shared' (second in a, first in c) before the other lists' firsts.
  const sums = reciprocalRankFusion([a, b, c].map((l) => l.map((id) => ({ id, score: 1 }))));
  expect(sums[0]!.id).toBe('shared');
  expect(interleave([], (x: string) => x)).toEqual([]);
});

test("interleaveByStrength: every list's first in turn, then only items at the share of the strongest; the weaker after, in turns; each item once", () => {
  const item = (id: string, s: number) => ({ id, s });
  const overview = [item('index', 0.3), item('server', 0.29)];
  const parse = [item('load', 0.6), item('scan', 0.5), item('index', 0.45), item('dump', 0.3)];
  const ids = [item('v7', 0.55), item('rng', 0.35)];
  const order = interleaveByStrength([overview, parse, ids], (x) => x.id, (x) => x.s, 0.7).map((x) => x.id);
  // 0.7 of 0.6 is 0.42: 'server', 'rng' and 'dump' wait; 'index' comes once, where the overview put it.
  expect(order).toEqual(['index', 'load', 'v7', 'scan', 'server', 'dump', 'rng']);
  expect(interleaveByStrength([overview, parse, ids], (x) => x.id, (x) => x.s, 0).map((x) => x.id)).toEqual(interleave([overview, parse, ids], (x) => x.id).map((x) => x.id));
});
