import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../../support/env';
import { writeAt } from '../../support/files';
import { callRead, ctxFor } from './helpers';

const KEY = 'sk-proj-Xq7Lm2Rt9Vb4Nc8Kd1Wz6Hs3Jf5Gp0Ta2Ue7Yi4Oo9Pl3Mk6';

function workspace(): string {
  const ws = tmpDir('aiml-tools-');
  writeAt(ws, '.gitignore', 'dist/\n');
  writeAt(ws, 'src/provider.ts', 'export interface EmbeddingProvider {\n  embed(texts: string[]): Promise<number[][]>;\n}\n');
  writeAt(ws, 'src/use.ts', "import type { EmbeddingProvider } from './provider';\nexport const p: EmbeddingProvider | null = null;\n");
  writeAt(ws, 'src/config.ts', `export const apiKey = "${KEY}";\n`);
  writeAt(ws, 'dist/provider.js', 'EmbeddingProvider\n');
  writeAt(ws, 'long.txt', Array.from({ length: 120 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
  writeAt(ws, '.env', 'SECRET=1\n');
  return ws;
}

test('read_file: numbered lines, ranges, a cap with a note where to read on, secrets redacted', async () => {
  const ws = workspace();
  const ctx = ctxFor(ws);
  const whole = await callRead('read_file', { path: 'src/provider.ts' }, ctx);
  expect(whole).toMatchObject({ ok: true, output: '1 | export interface EmbeddingProvider {\n2 |   embed(texts: string[]): Promise<number[][]>;\n3 | }', summary: 'read_file src/provider.ts:1-3 · 3 lines' });
  const part = await callRead('read_file', { path: 'long.txt', start_line: 10, end_line: 12 }, ctx);
  expect(part.output).toBe('10 | line 10\n11 | line 11\n12 | line 12\n(lines 10-12 of 120)');
  const capped = await callRead('read_file', { path: 'long.txt' }, ctx);
  expect(capped.output).toMatch(/^ 1 \| line 1\n[\s\S]*\n50 \| line 50\n\(lines 1-50 of 120 shown: the size cap was reached; read on with start_line=51\)$/);
  const secret = await callRead('read_file', { path: 'src/config.ts' }, ctx);
  expect(secret.output).not.toContain(KEY);
  expect(secret.output).toContain('[REDACTED: OpenAI API key]');
  expect(secret.redactions).toEqual([expect.objectContaining({ source: 'src/config.ts', line: 1 })]);
});

test('read_file refusals come back as tool errors: escapes, secret stores, links out, folders, bad arguments', async () => {
  const ws = workspace();
  const ctx = ctxFor(ws);
  fs.symlinkSync('/etc/hostname', path.join(ws, 'src', 'out-link'));
  fs.symlinkSync('.env', path.join(ws, 'env-link'));
  expect((await callRead('read_file', { path: '../etc/passwd' }, ctx)).error).toMatch(/".." segments are not allowed/);
  expect((await callRead('read_file', { path: '/etc/passwd' }, ctx)).error).toMatch(/absolute paths are not allowed/);
  expect((await callRead('read_file', { path: '.env' }, ctx)).error).toMatch(/secret store/);
  expect((await callRead('read_file', { path: 'src/out-link' }, ctx)).error).toMatch(/leads outside the workspace/);
  expect((await callRead('read_file', { path: 'env-link' }, ctx)).error).toMatch(/leads to \.env, which is a secret store/);
  expect((await callRead('read_file', { path: 'src' }, ctx)).error).toMatch(/is a folder; use list_files/);
  expect((await callRead('read_file', { path: 'nope.ts' }, ctx)).error).toBe('"nope.ts" does not exist in the workspace');
  expect((await callRead('read_file', { path: 'long.txt', start_line: 500 }, ctx)).error).toBe('start_line 500 is past the end: "long.txt" has 120 lines');
  expect((await callRead('read_file', { path: 'long.txt', start_line: 0 }, ctx)).error).toMatch(/^read_file: invalid arguments: start_line: /);
  expect((await callRead('read_file', { path: 'a', extra: 1 }, ctx)).error).toMatch(/Unrecognized key: "extra"/);
});

test('list_files: gitignore-aware, glob and folder filters, capped', async () => {
  const ws = workspace();
  const ctx = ctxFor(ws);
  const all = await callRead('list_files', {}, ctx);
  // names only: a secret store is listed (read_file and grep refuse its content); dist/ is gitignored
  expect(all.output).toBe('.env\n.gitignore\nlong.txt\nsrc/config.ts\nsrc/provider.ts\n(1 more not shown; narrow with path or pattern)');
  const ts = await callRead('list_files', { pattern: '*.ts' }, ctx);
  expect(ts).toMatchObject({ output: 'src/config.ts\nsrc/provider.ts\nsrc/use.ts', summary: 'list_files *.ts · 3 files' });
  expect((await callRead('list_files', { path: 'src', pattern: 'src/u*.ts' }, ctx)).output).toBe('src/use.ts');
  expect((await callRead('list_files', { path: 'dist' }, ctx)).output).toBe('no files under dist/');
  for (let i = 0; i < 6; i++) writeAt(ws, `many/f${i}.txt`, 'x');
  expect((await callRead('list_files', { path: 'many' }, ctx)).output).toBe('many/f0.txt\nmany/f1.txt\nmany/f2.txt\nmany/f3.txt\nmany/f4.txt\n(1 more not shown; narrow with path or pattern)');
  expect((await callRead('list_files', { path: '../' }, ctx)).error).toMatch(/".." segments/);
  // The root however a model writes it; any other absolute path stays refused.
  const rootNow = (await callRead('list_files', {}, ctx)).output;
  for (const root of ['/', '.', './', ' / ']) expect((await callRead('list_files', { path: root }, ctx)).output).toBe(rootNow);
  expect((await callRead('list_files', { path: '/etc' }, ctx)).error).toMatch(/absolute paths are not allowed/);
  expect((await callRead('grep', { pattern: 'EmbeddingProvider', path: '/' }, ctx)).summary).toBe('grep "EmbeddingProvider" · 3 hits');
  expect((await callRead('search_code', { query: 'embedding provider', path: '/' }, ctx)).output).toContain('src/provider.ts');
});

test('grep: regex hits as path:line, gitignored files skipped, capped, secrets redacted, bad patterns explained', async () => {
  const ws = workspace();
  const ctx = ctxFor(ws);
  const hits = await callRead('grep', { pattern: 'EmbeddingProvider' }, ctx);
  expect(hits.output).toBe(
    "src/provider.ts:1: export interface EmbeddingProvider {\nsrc/use.ts:1: import type { EmbeddingProvider } from './provider';\nsrc/use.ts:2: export const p: EmbeddingProvider | null = null;",
  );
  expect(hits.summary).toBe('grep "EmbeddingProvider" · 3 hits');
  const capped = await callRead('grep', { pattern: '^line \\d+$' }, ctx);
  expect(capped.summary).toBe('grep "^line \\d+$" · 3+ hits');
  expect(capped.output).toMatch(/\(more than 3 hits: only the first 3 are shown/);
  expect((await callRead('grep', { pattern: 'embeddingprovider', glob: 'src/p*.ts', case_insensitive: true }, ctx)).output).toBe('src/provider.ts:1: export interface EmbeddingProvider {');
  const secret = await callRead('grep', { pattern: 'apiKey' }, ctx);
  expect(secret.output).toBe('src/config.ts:1: export const apiKey = "[REDACTED: OpenAI API key]";');
  expect(secret.redactions).toHaveLength(1);
  expect((await callRead('grep', { pattern: 'a(b' }, ctx)).error).toMatch(/not a valid JavaScript regular expression/);
  expect((await callRead('grep', { pattern: 'SECRET=' }, ctx)).output).toMatch(/^no matches/); // .env is never searched
  expect((await callRead('grep', { pattern: 'nothing-like-this' }, ctx)).output).toMatch(/^no matches in \d+ files$/);
});

test('grep stops a catastrophic pattern at its deadline', async () => {
  const ws = tmpDir('aiml-tools-');
  writeAt(ws, 'evil.txt', `${'a'.repeat(40)}!\n`);
  const started = Date.now();
  const out = await callRead('grep', { pattern: '^(a+)+$' }, ctxFor(ws));
  expect(out.error).toMatch(/took over 3000 ms and was stopped/);
  expect(Date.now() - started).toBeLessThan(20_000);
});

test('kb_search answers through the context, redacted; without a knowledge base it says so', async () => {
  const ws = workspace();
  const seen: [string, number][] = [];
  const ctx = ctxFor(ws, {
    kbSearch: async (q, k) => {
      seen.push([q, k]);
      return [{ source: 'docs/a.md:1-3', text: `token: ${KEY}` }, { source: 'src/b.py', text: 'def embed(): ...' }];
    },
  });
  const out = await callRead('kb_search', { query: 'embedding api' }, ctx);
  expect(seen).toEqual([['embedding api', 5]]);
  expect(out).toMatchObject({ ok: true, summary: 'kb_search "embedding api" · 2 hits' });
  expect(out.output).toBe('[1] docs/a.md:1-3\ntoken: [REDACTED: OpenAI API key]\n\n[2] src/b.py\ndef embed(): ...');
  expect((await callRead('kb_search', { query: 'x' }, ctxFor(ws))).error).toBe('this run has no knowledge base');
  expect((await callRead('kb_search', { query: 'x', k: 50 }, ctx)).ok).toBe(true);
  expect(seen.at(-1)).toEqual(['x', 10]);
  expect((await callRead('kb_search', { query: 'x', k: 0 }, ctx)).error).toMatch(/k: Too small/);
});
