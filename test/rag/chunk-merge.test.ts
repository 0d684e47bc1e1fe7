import { chunkFile, MIN_CHUNK_CHARS } from '../../src/rag/chunk';
import { lineWindows } from '../../src/rag/chunk/lines';

const SRC = `import { backoff } from './backoff';

export const MAX_RETRIES = 5;
export const BASE_DELAY_MS = 200;
export const MAX_DELAY_MS = 10_000;

/** Sends a request, retrying transient failures with capped exponential backoff. */
export async function sendWithRetry(send: () => Promise<Response>): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await send();
    if (res.status < 500 || attempt >= MAX_RETRIES) return res;
    await new Promise((r) => setTimeout(r, backoff(attempt, BASE_DELAY_MS, MAX_DELAY_MS)));
  }
}
export { backoff };
`;

test('small pieces are merged: a run of constants becomes one chunk named by them, a trailing re-export joins the function before it', () => {
  const chunks = chunkFile('src/http/retry.ts', SRC);
  expect(chunks.map((c) => [c.symbol ?? null, c.kind, c.startLine, c.endLine])).toEqual([
    // The import line (36 characters) is too small alone, and joins the constants after it.
    ['MAX_RETRIES, BASE_DELAY_MS, MAX_DELAY_MS', 'lines', 1, 5],
    ['sendWithRetry', 'function', 7, 15],
  ]);
  expect(chunks.every((c) => c.text.trim().length >= MIN_CHUNK_CHARS)).toBe(true);
  expect(chunks[1]!.text.endsWith('export { backoff };')).toBe(true);
  // Every line with code is still in exactly one chunk.
  SRC.split('\n').forEach((l, i) => {
    if (l.trim()) expect(chunks.filter((c) => c.startLine <= i + 1 && i + 1 <= c.endLine)).toHaveLength(1);
  });
  // Without merging, the same file gives six chunks, four of them one line long.
  expect(chunkFile('src/http/retry.ts', SRC, { minChars: 0 }).filter((c) => c.startLine === c.endLine)).toHaveLength(4);
});

test('a run of many small pieces is named by none of them, and a file that is small as a whole stays one chunk', () => {
  const consts = Array.from({ length: 8 }, (_, i) => `export const CHAR_${i} = ${i};`).join('\n');
  const [run] = chunkFile('src/chars.ts', consts);
  expect(run).toMatchObject({ startLine: 1, endLine: 8, kind: 'variable' });
  expect(run!.symbol).toBeUndefined();
  expect(chunkFile('src/one.ts', 'export const ONE = 1;\n').map((c) => [c.symbol, c.text])).toEqual([['ONE', 'export const ONE = 1;']]);
});

test('a window cut short by a long line is not followed by ever-shorter copies of its tail', () => {
  // A recorded history: short lines around base64 payloads far longer than a window's budget.
  const payload = (n: number) => `        "data": "${'eyJ'.repeat(n)}"`;
  const lines: string[] = [];
  for (let e = 0; e < 6; e++) lines.push('      {', '        "metadata": {', '          "encoding": "anNvbi9wbGFpbg=="', '        },', payload(1500), '      },');
  const windows = lineWindows(lines, 1);
  for (let i = 1; i < windows.length; i++) expect(windows[i]!.endLine).toBeGreaterThan(windows[i - 1]!.endLine);
  const chunks = chunkFile('test/histories/run.json', lines.join('\n'));
  // Each payload line alone, each run of short lines between two payloads once: no chunk inside another.
  expect(chunks).toHaveLength(12 + 1);
  for (const a of chunks) for (const b of chunks) if (a !== b) expect(a.startLine >= b.startLine && a.endLine <= b.endLine).toBe(false);
});

test('a heading alone joins its first subsection, named by the subsection only', () => {
  const md = '# Deploy\n\n## Docker\n\nBuild the image with the Dockerfile at the root, then push it to your registry and tag it by release.\n';
  expect(chunkFile('docs/deploy.md', md).map((c) => [c.symbol, c.kind, c.startLine, c.endLine])).toEqual([['Deploy > Docker', 'section', 1, 5]]);
  // Both small: one run, and the heading that is the section's own parent adds nothing to its name.
  expect(chunkFile('docs/deploy.md', '# Deploy\n\n## Docker\n\nBuild the image.\n').map((c) => c.symbol)).toEqual(['Deploy > Docker']);
});
