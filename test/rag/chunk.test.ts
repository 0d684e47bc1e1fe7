import fs from 'node:fs';
import path from 'node:path';
import { chunkFile, languageOf, loadSyntax } from '../../src/rag/chunk';
import { lineWindows } from '../../src/rag/chunk/lines';

/** The splitters alone: these tests pin where files are cut, before small pieces are merged. */
const split = (file: string, text: string) => chunkFile(file, text, { minChars: 0 });

const TS = `import fs from 'node:fs';
import path from 'node:path';

/** Reads a config file. */
export function readConfig(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

export const toAbsolute = (p: string) => path.resolve(p);

// A shape.
export interface Shape {
  area(): number;
}

export class Circle implements Shape {
  constructor(readonly r: number) {}
  area(): number {
    return Math.PI * this.r ** 2;
  }
}
`;

test('TypeScript splits at top-level symbols, with doc comments, kinds and exact line ranges', () => {
  const chunks = split('src/geo.ts', TS);
  expect(chunks.map((c) => [c.symbol ?? null, c.kind, c.startLine, c.endLine])).toEqual([
    [null, 'lines', 1, 2],
    ['readConfig', 'function', 4, 7],
    ['toAbsolute', 'function', 9, 9],
    ['Shape', 'interface', 11, 14],
    ['Circle', 'class', 16, 21],
  ]);
  const read = chunks[1]!;
  expect(read.text.startsWith('/** Reads a config file. */')).toBe(true);
  expect(read).toMatchObject({ path: 'src/geo.ts', language: 'typescript' });
  expect(read.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(read.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test('chunk ids depend on path and content only: same text, same id; other path, other id', () => {
  const a = split('src/geo.ts', TS);
  const b = split('src/geo.ts', TS.replace('Math.PI', 'Math.PI * 1'));
  const c = split('lib/geo.ts', TS);
  expect(b.slice(0, 4).map((x) => x.id)).toEqual(a.slice(0, 4).map((x) => x.id));
  expect(b[4]!.id).not.toBe(a[4]!.id);
  expect(c[1]!.id).not.toBe(a[1]!.id);
});

test('Python splits at def/class with decorators; long classes split per method', () => {
  const methods = Array.from({ length: 30 }, (_, i) => `    def m${i}(self):\n        return ${i}\n`).join('');
  const py = `import os\n\n@cache\ndef load(path):\n    return open(path).read()\n\nclass Big:\n    """Many methods."""\n${methods}`;
  const chunks = split('pkg/mod.py', py);
  expect(chunks[0]).toMatchObject({ kind: 'lines', startLine: 1 });
  expect(chunks[1]).toMatchObject({ symbol: 'load', kind: 'function', startLine: 3, endLine: 5 });
  expect(chunks[2]).toMatchObject({ symbol: 'Big', kind: 'class', startLine: 7, endLine: 8 });
  expect(chunks.filter((c) => c.symbol?.startsWith('Big.')).map((c) => c.symbol)).toEqual(Array.from({ length: 30 }, (_, i) => `Big.m${i}`));
  expect(chunks.every((c) => c.language === 'python')).toBe(true);
});

test('Markdown splits by heading, with the heading trail as symbol, ignoring # inside code fences', () => {
  const md = '# Guide\nIntro.\n\n## Install\nnpm i\n```sh\n# not a heading\n```\n\n## Use\nRun it.\n### Flags\n--json\n';
  const chunks = split('docs/guide.md', md);
  expect(chunks.map((c) => [c.symbol, c.startLine, c.endLine])).toEqual([
    ['Guide', 1, 2],
    ['Guide > Install', 4, 8],
    ['Guide > Use', 10, 11],
    ['Guide > Use > Flags', 12, 13],
  ]);
  expect(chunks.every((c) => c.kind === 'section' && c.language === 'markdown')).toBe(true);
});

test('other files fall back to overlapping line windows', () => {
  const text = Array.from({ length: 130 }, (_, i) => `line ${i + 1}`).join('\n');
  const chunks = split('data/notes.txt', text);
  expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([
    [1, 60],
    [51, 110],
    [101, 130],
  ]);
  expect(chunks[1]!.text.split('\n')[0]).toBe('line 51');
  expect(languageOf('a/b.go')).toBe('go');
});

test('a line window closes early at the character budget, and a huge single line is capped', () => {
  const lines = ['x'.repeat(50), 'y'.repeat(50), 'z'.repeat(50)];
  expect(lineWindows(lines, 1, { maxLines: 10, overlap: 0, maxChars: 110 }).map((p) => [p.startLine, p.endLine])).toEqual([
    [1, 2],
    [3, 3],
  ]);
  const [one] = lineWindows(['q'.repeat(10_000)], 1, { maxLines: 10, overlap: 0, maxChars: 100 });
  expect(one!.text.length).toBe(200);
});

describe('syntax chunking (tree-sitter grammars)', () => {
  const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/syntax', name), 'utf8');
  const shape = (file: string, text: string) => split(file, text).map((c) => [c.symbol ?? null, c.kind, c.startLine, c.endLine]);
  beforeAll(() => loadSyntax());

  test.each([
    ['server.go', 'go', [[null, 'lines', 1, 3], ['Server', 'type', 5, 8], ['Server.Start', 'function', 10, 13], ['NewServer', 'function', 15, 17]]],
    ['cache.rs', 'rust', [[null, 'lines', 1, 1], ['Cache', 'type', 3, 7], ['Cache', 'class', 9, 14], ['evict_all', 'function', 16, 18]]],
    ['Greeter.java', 'java', [[null, 'lines', 1, 3], ['Greeter', 'class', 5, 15]]],
    ['Invoice.cs', 'csharp', [[null, 'lines', 1, 1], ['Billing', 'lines', 3, 4], ['Billing.Invoice', 'class', 5, 15]]],
    ['ring.c', 'c', [[null, 'lines', 1, 1], ['ring', 'type', 3, 7], ['ring_t', 'type', 9, 9], ['ring_push', 'function', 11, 15]]],
    ['shapes.cpp', 'cpp', [[null, 'lines', 1, 1], ['geo', 'lines', 3, 3], ['geo.Circle', 'class', 5, 12], ['geo.twice', 'function', 14, 19]]],
    ['mailer.rb', 'ruby', [[null, 'lines', 1, 1], ['Notify', 'lines', 3, 4], ['Notify.Mailer', 'class', 5, 14]]],
    ['Repo.kt', 'kotlin', [[null, 'lines', 1, 3], ['NoteRepo', 'class', 5, 10], ['defaultRepo', 'function', 12, 12]]],
  ])('%s: one chunk per definition, named by its symbol path, leading comments included', (file, language, want) => {
    const text = fixture(file);
    expect(shape(file, text)).toEqual(want);
    const chunks = split(file, text);
    expect(chunks.every((c) => c.language === language)).toBe(true);
    // Every line with code is in some chunk.
    text.split('\n').forEach((l, i) => {
      if (l.trim()) expect(chunks.some((c) => c.startLine <= i + 1 && i + 1 <= c.endLine)).toBe(true);
    });
  });

  const rep = (f: (i: number) => string) => Array.from({ length: 25 }, (_, i) => f(i)).join('');
  test.each([
    ['Big.java', `class Big {\n  int field;\n${rep((i) => `  // m${i}\n  int m${i}() {\n    return ${i};\n  }\n`)}}\n`, ['Big', 'class', 1, 2], ['Big.m0', 'function', 3, 6], 'Big.m24'],
    ['Big.cs', `namespace N {\n  class Big {\n${rep((i) => `    int M${i}() {\n      return ${i};\n    }\n`)}  }\n}\n`, ['N.Big', 'class', 2, 2], ['N.Big.M0', 'function', 3, 5], 'N.Big.M24'],
    ['big.rb', `class Big\n${rep((i) => `  def m${i}\n    ${i}\n  end\n`)}end\n`, ['Big', 'class', 1, 1], ['Big.m0', 'function', 2, 4], 'Big.m24'],
    ['Big.kt', `class Big {\n${rep((i) => `    fun m${i}(): Int {\n        return ${i}\n    }\n`)}}\n`, ['Big', 'class', 1, 1], ['Big.m0', 'function', 2, 4], 'Big.m24'],
    ['big.rs', `struct Big;\nimpl Big {\n${rep((i) => `    /// m${i}\n    fn m${i}(&self) -> i32 {\n        ${i}\n    }\n`)}}\n`, ['Big', 'class', 2, 2], ['Big.m0', 'function', 3, 6], 'Big.m24'],
    ['big.cpp', `class Big {\n public:\n${rep((i) => `  int m${i}() {\n    return ${i};\n  }\n`)}};\n`, ['Big', 'class', 1, 2], ['Big.m0', 'function', 3, 5], 'Big.m24'],
  ])('%s: a class longer than one chunk gives a header and one chunk per member', (file, text, header, first, last) => {
    const got = shape(file, text);
    expect(got).toContainEqual(header);
    expect(got).toContainEqual(first);
    expect(got.filter((c) => c[1] === 'function').map((c) => c[0])).toHaveLength(25);
    expect(got.some((c) => c[0] === last)).toBe(true);
  });

  test('a file that is not valid source still gives chunks covering its lines', () => {
    const chunks = split('broken.go', 'this is { not go at all\n');
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks[0]!.startLine).toBe(1);
  });
});
