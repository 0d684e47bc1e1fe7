import fs from 'node:fs';
import path from 'node:path';
import { codeIndex } from '../../../src/agent/tools/code-index';
import { embeddingText } from '../../../src/rag/knowledge-base';
import { PROJECT_ROOT } from '../../../src/paths';
import { buildDeps } from '../../../src/worker-factory';
import { loadRagConfig } from '../../../src/rag/config';
import { ensureLocalModel, LOCAL_MODEL } from '../../../src/rag/embed/model-install';
import { StaticEmbedder, STATIC_MODEL_ID } from '../../../src/rag/embed/static-model';
import { KbRegistry } from '../../../src/rag/registry';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentTools } from '../../../src/agent/tools/registry';
import type { CodeModels, ReadTool, SearchCodeArgs } from '../../../src/agent/tools/types';
import { tmpDir } from '../../support/env';
import { aimlEnv, runCli } from '../../support/processes';
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
  // More than the most it shows (10) is the most, not a refused call the model repeats.
  const many = await callRead('search_code', { query: 'retry backoff', k: 2 }, ctxFor(ws));
  expect((await callRead('search_code', { query: 'retry backoff', k: 500 }, ctxFor(ws))).output).toBe((await callRead('search_code', { query: 'retry backoff', k: 10 }, ctxFor(ws))).output);
  expect(many.output?.match(/^\[\d+\]/gm)).toHaveLength(2);
  expect((await callRead('search_code', { query: 'retry backoff', k: '2' }, ctxFor(ws))).output).toBe(many.output); // a number sent as a string
});

test('search_code redacts credentials, and refuses bad arguments and paths outside the workspace as tool errors', async () => {
  const ws = workspace();
  const secret = await callRead('search_code', { query: 'payment provider key' }, ctxFor(ws));
  expect(secret.output).toContain('src/config.ts');
  expect(secret.output).not.toContain(KEY);
  expect(secret.redactions).toEqual([expect.objectContaining({ source: 'src/config.ts', line: 2 })]);

  expect(await callRead('search_code', { query: 'x', path: '../elsewhere' }, ctxFor(ws))).toMatchObject({ ok: false, error: expect.stringMatching(/\.\./) });
  // A folder that is not there is said to be, as grep and list_files say it (not "nothing matches").
  expect(await callRead('search_code', { query: 'x', path: 'https://www.npmjs.com/x' }, ctxFor(ws))).toEqual({ ok: false, error: 'Folder "https:/www.npmjs.com/x" does not exist in the workspace (or is not a folder)' });
  expect(await callRead('search_code', { query: 'x', path: 'src/config.ts' }, ctxFor(ws))).toMatchObject({ ok: false, error: expect.stringMatching(/^Folder "src\/config\.ts" does not exist/) });
  expect((await callRead('search_code', { query: 'payment provider key', path: './src/' }, ctxFor(ws))).output).toContain('src/config.ts');
  expect(await callRead('search_code', { query: '' }, ctxFor(ws))).toMatchObject({ ok: false, error: expect.stringMatching(/query/) });
  expect(await callRead('search_code', { query: 'x', k: 0 }, ctxFor(ws))).toMatchObject({ ok: false, error: expect.stringMatching(/k: Too small/) });
  expect(await callRead('search_code', { query: 'x', k: 'three' }, ctxFor(ws))).toMatchObject({ ok: false, error: expect.stringMatching(/k: /) });
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

/** The npm corpus of bench:rag-quality (four libraries from node_modules), copied into a workspace. */
function npmWorkspace(under = ''): string {
  const ws = tmpDir('aiml-search-code-npm-');
  for (const src of ['js-yaml/lib', 'diff/libcjs', 'protobufjs/src', 'uuid/dist/cjs']) {
    fs.cpSync(path.join(PROJECT_ROOT, 'node_modules', src), path.join(ws, under, src), { recursive: true, filter: (f) => !f.endsWith('.min.js') && (fs.statSync(f).isDirectory() || f.endsWith('.js')) });
  }
  return ws;
}

const places = (output: string) => [...output.matchAll(/^\[\d+\] ([^:]+):\d+-\d+(?: \((.*)\))?$/gm)].map((m) => `${m[1]} ${m[2] ?? ''}`.trim());

describe('with the local models', () => {
  const registry = new KbRegistry(tmpDir('aiml-search-code-state-'), new StaticEmbedder());
  afterAll(() => registry.closeAll());

  test('search_code ranks by meaning: MiniLM finds the line diff that words alone miss, and every chunk has a vector', async () => {
    const ws = npmWorkspace();
    const models = registry.codeModels();
    const query = 'compute the difference between two arrays of lines';
    const byWords = await callRead('search_code', { query }, ctxFor(ws));
    expect(byWords.summary).toMatch(/· 5 hits$/);
    expect(places(byWords.output!).filter((p) => p.startsWith('diff/libcjs/diff/line.js'))).toEqual([]);

    const byMeaning = await callRead('search_code', { query }, ctxFor(ws, { codeModels: models }));
    expect(byMeaning.summary).toBe(`search_code "${query}" · 5 hits · by meaning, refined`);
    expect(places(byMeaning.output!)[0]).toBe('diff/libcjs/diff/line.js LineDiff');
    expect(byMeaning.output).not.toMatch(/ranked by|not embedded/);

    const { index, unembedded } = await codeIndex(ws, undefined, undefined, models);
    expect(unembedded).toBe(0);
    expect(index.vectors.size).toBe(index.chunks.size);
    // A refined search's hits carry MiniLM's cosine (the context by meaning floors with it); by words, none.
    const refined = await index.searchHybrid(query, 5, undefined, models);
    expect(refined.ranking).toBe('refined');
    for (const h of refined.hits) expect(h.similarity).toBeCloseTo((await models.refiner!.similarities(query, [embeddingText(h.chunk)]))[0]!, 5);
    expect(index.search(query, 5).every((h) => h.similarity === undefined)).toBe(true);
    // A folder narrows the dense side too.
    const under = await callRead('search_code', { query, path: 'protobufjs' }, ctxFor(ws, { codeModels: models }));
    expect(places(under.output!).every((p) => p.startsWith('protobufjs/'))).toBe(true);
  }, 120_000);

  test('a big workspace is embedded in the background: searches rank by words until every chunk has a vector, then by meaning', async () => {
    const models = registry.codeModels();
    // The static model, a fifth of a second a batch: the corpus's 600-odd chunks take over two seconds.
    const slow: CodeModels = { ...models, embedder: { id: models.embedder.id, dims: models.embedder.dims, embed: async (t, s) => (await sleep(200), models.embedder.embed(t, s)) } };
    const big = npmWorkspace('vendor'); // other paths: chunks no kept index has vectors for
    const first = await codeIndex(big, undefined, undefined, slow, 300);
    expect(first.pending).toBe(0);
    expect(first.unembedded).toBeGreaterThan(0);
    // Not a dense list over part of the chunks: by words, and the tool says why.
    expect((await first.index.searchHybrid('parse a yaml document', 3, undefined, models)).ranking).toBe('lexical');
    const impatient = agentTools({ limits: { searchEmbedWaitMs: 1 } }).tools.get('search_code') as ReadTool<SearchCodeArgs>;
    const out = await impatient.run({ query: 'parse a yaml document' }, ctxFor(big, { codeModels: slow }));
    expect(out).toMatchObject({ ok: true, summary: 'search_code "parse a yaml document" · 5 hits' });
    expect(out.ok && out.output).toMatch(/\n\(ranked by words alone while the workspace is embedded for ranking by meaning: \d+ pieces to go; search again shortly\)$/);
    // The embedding went on after the search answered; the next search waits for it (within its own wait) and ranks by meaning.
    const later = await codeIndex(big, undefined, undefined, models);
    expect(later.unembedded).toBe(0);
    expect(later.index.vectors.size).toBe(later.index.chunks.size);
    expect((await later.index.searchHybrid('parse a yaml document', 3, undefined, models)).ranking).toBe('refined');
  }, 120_000);

  test('a changed file is embedded again and a deleted one leaves no vectors', async () => {
    const models = registry.codeModels();
    const ws = workspace();
    await codeIndex(ws, undefined, undefined, models);
    writeAt(ws, 'src/cart/totals.ts', 'export function cartTotalWithTax(items: { price: number }[]): number {\n  return 0;\n}\n');
    fs.utimesSync(path.join(ws, 'src/cart/totals.ts'), new Date(), new Date(Date.now() + 5000));
    fs.rmSync(path.join(ws, 'docs/guide.md'));
    const again = await codeIndex(ws, undefined, undefined, models);
    expect(again.reread).toBe(1);
    expect(again.unembedded).toBe(0);
    expect([...again.index.vectors.keys()].sort()).toEqual([...again.index.chunks.keys()].sort());
    const found = await again.index.searchHybrid('sum of the prices with tax', 1, undefined, models);
    expect(found).toMatchObject({ ranking: 'refined', hits: [{ chunk: { path: 'src/cart/totals.ts', symbol: 'cartTotalWithTax' } }] });
  }, 60_000);

  test("a copy of a workspace (a step's shadow copy) takes the vectors of the chunks it shares with the original; only changed ones are embedded", async () => {
    const models = registry.codeModels();
    const embedded: string[] = [];
    const counting: CodeModels = { ...models, embedder: { id: models.embedder.id, dims: models.embedder.dims, embed: async (t, s) => (embedded.push(...t), models.embedder.embed(t, s)) } };
    const ws = workspace();
    const original = await codeIndex(ws, undefined, undefined, counting);
    expect(original.index.vectors.size).toBe(original.index.chunks.size);
    const copy = tmpDir('aiml-search-code-copy-');
    fs.cpSync(ws, copy, { recursive: true });
    writeAt(copy, 'src/cart/totals.ts', 'export function cartTotalWithTax(items: { price: number }[]): number {\n  return 0;\n}\n');
    embedded.length = 0;
    const shadow = await codeIndex(copy, undefined, undefined, counting);
    expect(shadow.unembedded).toBe(0);
    expect(shadow.index.vectors.size).toBe(shadow.index.chunks.size);
    expect(embedded).toEqual([expect.stringContaining('cartTotalWithTax')]);
    // The shared vectors are the original's own.
    const shared = [...shadow.index.vectors.keys()].find((id) => original.index.vectors.has(id))!;
    expect(shadow.index.vectors.get(shared)).toBe(original.index.vectors.get(shared));
  });

  test('models that fail leave search_code ranking by words, saying why, and are not tried again at once', async () => {
    const ws = workspace();
    let calls = 0;
    const broken = { id: 'local:broken', dims: 384, embed: async () => { calls += 1; throw new Error('model files missing'); } };
    const notices: string[] = [];
    const out = await callRead('search_code', { query: 'retry a failed call with backoff' }, ctxFor(ws, { codeModels: { embedder: broken, notice: (l) => notices.push(l) } }));
    expect(out.ok).toBe(true);
    expect(out.output).toMatch(/^\[[12]\] src\/net\/retry\.ts:1-15 \(retryWithBackoff\)$/m);
    expect(out.output).toContain('(ranked by words alone: the embedding models failed (model files missing))');
    expect(out.summary).toMatch(/· \d+ hits$/);
    const tried = calls;
    expect(tried).toBe(1);
    await callRead('search_code', { query: 'cart total' }, ctxFor(ws, { codeModels: { embedder: broken } }));
    expect(calls).toBe(tried);
    // The worker hears of it once, to log it.
    expect(notices).toEqual(['search_code ranks by words alone for the next 60 s: local:broken failed: model files missing']);
  });

  test('a refiner that fails mid-search still gets an answer, by words, and a notice', async () => {
    const ws = tmpDir('aiml-search-code-refiner-');
    fs.cpSync(workspace(), ws, { recursive: true });
    writeAt(ws, 'src/extra.ts', 'export const refinerProbe = 1;\n'); // chunks of their own: an index of its own
    const { embedder } = registry.codeModels();
    const notices: string[] = [];
    const models: CodeModels = { embedder, refiner: { id: 'local:minilm', similarities: async () => Promise.reject(new Error('inference process exited')) }, notice: (l) => notices.push(l) };
    const out = await callRead('search_code', { query: 'retry a failed call with backoff' }, ctxFor(ws, { codeModels: models }));
    expect(out).toMatchObject({ ok: true, summary: expect.stringMatching(/^search_code "retry a failed call with backoff" · \d+ hits$/) });
    expect(out.output).toMatch(/^\[[12]\] src\/net\/retry\.ts:1-15 \(retryWithBackoff\)$/m);
    expect(out.output).toContain('(ranked by words alone: the embedding models failed (inference process exited))');
    expect(notices).toEqual([`search_code ranks by words alone for the next 60 s: ${embedder.id} or local:minilm failed: inference process exited`]);
  });
});

test('the worker gives search_code the local models unless AIML_CODE_SEARCH=lexical, even when knowledge bases embed remotely', async () => {
  expect(loadRagConfig({}).codeSearch).toBe('hybrid');
  expect(loadRagConfig({ AIML_CODE_SEARCH: 'lexical' }).codeSearch).toBe('lexical');
  expect(() => loadRagConfig({ AIML_CODE_SEARCH: 'semantic' })).toThrow(/^Invalid AIML_CODE_SEARCH: expected "hybrid" or "lexical"/);
  const llm = { baseURL: 'http://127.0.0.1:9', apiKey: 'k', model: 'm', timeoutMs: 5000, stream: false };
  const remote = { kind: 'openai' as const, model: 'emb', baseURL: 'http://127.0.0.1:9', apiKey: 'sk-test-not-a-secret' };
  for (const codeSearch of ['hybrid', 'lexical'] as const) {
    const deps = buildDeps(llm, tmpDir('aiml-state-'), { embeddings: remote, store: { kind: 'embedded' }, codeSearch });
    try {
      if (codeSearch === 'lexical') expect(deps.codeModels).toBeUndefined();
      else expect({ embedder: deps.codeModels?.embedder.id, refiner: deps.codeModels?.refiner?.id }).toEqual({ embedder: STATIC_MODEL_ID, refiner: LOCAL_MODEL.id });
    } finally {
      await deps.kbs!.closeAll();
    }
  }
});

test('aiml code search shows what search_code answers, waiting for the whole folder; --lexical, --json and bad input', async () => {
  const ws = workspace();
  const env = aimlEnv({ AIML_HOME: tmpDir('aiml-code-cli-'), AIML_EMBED_MODEL_DIR: path.dirname(ensureLocalModel().onnx) });
  const query = 'retry a failed call with backoff';
  const found = await runCli(['code', 'search', query, '--workspace', ws, '-k', '2'], env);
  expect(found.code).toBe(0);
  expect(found.stderr.trim()).toMatch(new RegExp(`^search_code "${query}" · 2 hits · by meaning, refined \\(\\d+ files, \\d+ pieces\\)$`));
  // The tool's own text: what the agent reads.
  const here = new KbRegistry(tmpDir('aiml-code-cli-state-'), new StaticEmbedder());
  try {
    const direct = await callRead('search_code', { query, k: 2 }, ctxFor(ws, { codeModels: here.codeModels() }));
    expect(found.stdout.trim()).toBe(direct.output);
  } finally {
    await here.closeAll();
  }

  const lexical = await runCli(['code', 'search', query, '--workspace', ws, '--lexical'], env);
  expect(lexical.stderr).toMatch(/· \d+ hits \(/);
  expect(lexical.stdout).toContain('src/net/retry.ts:1-15 (retryWithBackoff)');

  const json = await runCli(['code', 'search', 'cartTotal', '--workspace', ws, '--path', 'src', '--json'], env);
  const parsed = JSON.parse(json.stdout);
  expect(parsed).toMatchObject({ ranking: 'refined', hits: expect.arrayContaining([expect.objectContaining({ path: 'src/cart/totals.ts', symbol: 'cartTotal', startLine: 1, endLine: 3 })]) });
  expect(parsed.hits.every((h: { path: string }) => h.path.startsWith('src/'))).toBe(true);
  // Credentials are redacted in JSON too.
  const secret = await runCli(['code', 'search', 'payment provider key', '--workspace', ws, '--json'], env);
  expect(secret.stdout).toContain('src/config.ts');
  expect(secret.stdout).not.toContain(KEY);

  for (const [args, message] of [
    [['-k', '11'], '-k must be at most 10 (search_code\'s limit), got 11'],
    [['-k', 'x'], '-k must be a positive whole number, got "x"'],
    [['--path', '../elsewhere'], '..'],
    [['--workspace', '/nonexistent/aiml-ws'], 'Directory /nonexistent/aiml-ws does not exist'],
  ] as const) {
    const bad = await runCli(['code', 'search', 'x', '--workspace', ws, ...args], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
  }
  expect((await runCli(['code', 'search', '  ', '--workspace', ws], env)).stderr.trim()).toBe('aiml: The search query is empty');
}, 120_000);
