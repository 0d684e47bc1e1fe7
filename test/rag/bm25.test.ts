import { Bm25Index } from '../../src/rag/bm25';
import type { ChunkMeta } from '../../src/rag/types';

const meta = (path: string): ChunkMeta => ({ path, language: 'typescript', kind: 'lines', startLine: 1, endLine: 1, hash: path });

const WORDS = 'retry backoff parse yaml token stream cache vector embed chunk ranking query window gate approve journal edit shadow worker signal'.split(' ');

/** A deterministic document: words picked by a simple generator, so documents share some terms and not others. */
function doc(i: number): { id: string; text: string; path: string } {
  const words = Array.from({ length: 12 + (i % 7) }, (_, j) => WORDS[(i * 7 + j * j * 3) % WORDS.length]!);
  return { id: `doc-${i}`, text: `${words.join(' ')} unique${i}`, path: `src/mod${i % 13}/file${i}.ts` };
}

function build(ids: number[]): Bm25Index {
  const index = new Bm25Index();
  for (const i of ids) {
    const d = doc(i);
    index.add(d.id, d.text, meta(d.path));
  }
  return index;
}

const QUERIES = ['retry backoff', 'parse yaml stream', 'vector embed chunk', 'approve gate journal', 'unique77', 'mod3 worker', 'nothing-matches-this'];

test('after many removals (compaction) and re-adds, search gives what an index built from the survivors gives', () => {
  const all = Array.from({ length: 3000 }, (_, i) => i);
  const index = build(all);
  // Remove two thirds: well past the dead postings the index tolerates, so it compacts.
  for (const i of all) if (i % 3) index.remove(`doc-${i}`);
  // Re-add some removed ones (into reused slots) and change the text of some survivors.
  const readd = all.filter((i) => i % 3 === 1 && i % 5 === 0);
  for (const i of readd) index.add(doc(i).id, doc(i).text, meta(doc(i).path));
  for (const i of all.filter((i) => i % 3 === 0 && i % 11 === 0)) index.add(`doc-${i}`, `${doc(i).text} journal journal`, meta(doc(i).path));
  const fresh = new Bm25Index();
  for (const i of all.filter((i) => i % 3 === 0 || readd.includes(i)).sort((a, b) => a - b)) {
    const d = doc(i);
    fresh.add(d.id, i % 3 === 0 && i % 11 === 0 ? `${d.text} journal journal` : d.text, meta(d.path));
  }
  expect(index.size).toBe(fresh.size);
  expect(index.size).toBe(1000 + readd.length);
  for (const q of QUERIES) {
    const got = index.search(q, 20);
    const want = fresh.search(q, 20);
    expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
    got.forEach((h, k) => expect(h.score).toBeCloseTo(want[k]!.score, 9));
  }
  expect(index.search('unique77', 5)).toEqual([]); // 77 % 3 = 2: removed, never re-added
  expect(index.search('unique75', 5).map((h) => h.id)).toEqual(['doc-75']);
});

test('removing every document empties the index; ids added again are found, with filters applied', () => {
  const index = build([1, 2, 3, 4]);
  for (const i of [1, 2, 3, 4]) index.remove(`doc-${i}`);
  index.remove('doc-1'); // twice: nothing happens
  expect(index.size).toBe(0);
  expect(index.search('retry', 5)).toEqual([]);
  index.add('a', 'retry with backoff', meta('src/a.ts'));
  index.add('b', 'retry forever', meta('docs/b.md'));
  expect(index.search('retry', 5).map((h) => h.id).sort()).toEqual(['a', 'b']);
  expect(index.search('retry', 5, { pathPrefix: 'docs/' }).map((h) => h.id)).toEqual(['b']);
});
