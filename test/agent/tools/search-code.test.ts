import fs from 'node:fs';
import path from 'node:path';
import { codeIndex } from '../../../src/agent/tools/code-index';
import { tmpDir } from '../../support/env';
import { writeAt } from '../../support/files';
import { callRead, ctxFor } from './helpers';

const KEY = 'sk-proj-Xq7Lm2Rt9Vb4Nc8Kd1Wz6Hs3Jf5Gp0Ta2Ue7Yi4Oo9Pl3Mk6';

function workspace(): string {
  const ws = tmpDir('aiml-search-code-');
  writeAt(ws, '.gitignore', 'dist/\n');
  writeAt(
    ws,
    'src/net/retry.ts',
    [
      "import { sleep } from './sleep';",
      '',
      '/** Calls `fn` until it succeeds, waiting twice as long after each failure. */',
      'export async function retryWithBackoff<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {',
      '  let wait = 100;',
      '  for (let i = 1; ; i++) {',
      '    try {',
      '      return await fn();',
      '    } catch (err) {',
      '      if (i >= attempts) throw err;',
      '      await sleep(wait);',
      '      wait *= 2;',
      '    }',
      '  }',
      '}',
      '',
      'export function parseRetryAfter(header: string): number {',
      '  return Number(header) * 1000;',
      '}',
      '',
    ].join('\n'),
  );
  writeAt(ws, 'src/cart/totals.ts', 'export function cartTotal(items: { price: number }[]): number {\n  return items.reduce((n, i) => n + i.price, 0);\n}\n');
  writeAt(ws, 'docs/guide.md', '# Guide\n\n## Payments\n\nThe cart total is charged once.\n\n## Errors\n\nFailed calls are retried with exponential backoff.\n');
  writeAt(ws, 'src/config.ts', `// payment provider settings\nexport const paymentKey = "${KEY}";\n`);
  writeAt(ws, 'dist/retry.js', 'function retryWithBackoff() {}\n');
  writeAt(ws, '.env', 'RETRY_BACKOFF_SECRET=1\n');
  return ws;
}

test('search_code finds the function a plain-words query is about, with its symbol and lines, beside the docs that mention it', async () => {
  const ws = workspace();
  const out = await callRead('search_code', { query: 'retry a failed call with backoff' }, ctxFor(ws));
  expect(out.ok).toBe(true);
  // The function and the doc that describes it are the two best places, in either order. Pieces
  // under 80 characters are merged: the lone import line joins the function, the guide's three
  // short sections are one chunk.
  expect(out.output).toMatch(/^\[[12]\] src\/net\/retry\.ts:1-15 \(retryWithBackoff\)\n/m);
  expect(out.output).toMatch(/^\[[12]\] docs\/guide\.md:1-9 \(Guide > Payments, Guide > Errors\)\n/m);
  expect(out.output).toContain('wait *= 2;');
  expect(out.output).not.toContain('dist/'); // gitignored output is not searched
  expect(out.output).not.toContain('.env'); // nor secret stores
  expect(out.summary).toMatch(/^search_code "retry a failed call with backoff" · \d+ hits$/);

  // An identifier is split into its words, and a folder narrows the search.
  const byName = await callRead('search_code', { query: 'cartTotal', path: 'src' }, ctxFor(ws));
  expect(byName.output).toMatch(/^\[1\] src\/cart\/totals\.ts:1-3 \(cartTotal\)/);
  expect(byName.output).not.toContain('docs/guide.md');
  const one = await callRead('search_code', { query: 'retry backoff', k: 1 }, ctxFor(ws));
  expect(one.output?.match(/^\[\d+\]/gm)).toHaveLength(1);
});

test('search_code redacts credentials, and refuses bad arguments and paths outside the workspace as tool errors', async () => {
  const ws = workspace();
  const secret = await callRead('search_code', { query: 'payment provider key' }, ctxFor(ws));
  expect(secret.output).toContain('src/config.ts');
  expect(secret.output).not.toContain(KEY);
  expect(secret.redactions).toEqual([expect.objectContaining({ source: 'src/config.ts', line: 2 })]);

  expect(await callRead('search_code', { query: 'x', path: '../elsewhere' }, ctxFor(ws))).toMatchObject({ ok: false, error: expect.stringMatching(/\.\./) });
  expect(await callRead('search_code', { query: '' }, ctxFor(ws))).toMatchObject({ ok: false, error: expect.stringMatching(/query/) });
  expect(await callRead('search_code', { query: 'x', k: 11 }, ctxFor(ws))).toMatchObject({ ok: false, error: expect.stringMatching(/k/) });
  const none = await callRead('search_code', { query: 'kubernetes helm chart' }, ctxFor(ws));
  expect(none).toMatchObject({ ok: true, output: expect.stringMatching(/^nothing in \d+ files matches/) });
});

test('the index reads again only the files that changed, and forgets deleted ones', async () => {
  const ws = workspace();
  const first = await codeIndex(ws);
  expect(first.reread).toBe(first.files);
  expect((await codeIndex(ws)).reread).toBe(0);

  writeAt(ws, 'src/cart/totals.ts', 'export function cartTotalWithTax(items: { price: number }[]): number {\n  return 0;\n}\n');
  fs.utimesSync(path.join(ws, 'src/cart/totals.ts'), new Date(), new Date(Date.now() + 5000));
  fs.rmSync(path.join(ws, 'docs/guide.md'));
  const again = await codeIndex(ws);
  expect(again.reread).toBe(1);
  expect(again.files).toBe(first.files - 1);
  const hits = again.index.search('cart total tax', 5).map((h) => h.chunk.path);
  expect(hits[0]).toBe('src/cart/totals.ts');
  expect(again.index.search('exponential backoff', 5).map((h) => h.chunk.path)).not.toContain('docs/guide.md');
});

test('indexing stops at its time budget and the next search goes on from there; concurrent searches share one refresh', async () => {
  const ws = workspace();
  const cut = await codeIndex(ws, undefined, -1);
  expect(cut).toMatchObject({ files: 0, reread: 0 });
  expect(cut.pending).toBeGreaterThan(0);
  const [a, b] = await Promise.all([codeIndex(ws), codeIndex(ws)]);
  expect(a.pending).toBe(0);
  expect(a.reread).toBe(a.files); // the first refresh read every file ...
  expect(b.reread).toBe(0); // ... and the second, queued behind it, found nothing new
  expect(b.files).toBe(a.files);
});
