import { OpenAiEmbedder } from '../../src/rag/embed/openai-embedder';
import { KbRegistry } from '../../src/rag/registry';
import { HybridRetriever } from '../../src/rag/retriever';
import { scanDirectory } from '../../src/rag/walker';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { tmpDir, uniqueId } from '../support/env';
import { writeTree } from './support';

let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await llm?.close();
});

const registry = (stateDir: string) => new KbRegistry(stateDir, new OpenAiEmbedder({ baseURL: llm.url, apiKey: 'sk-test-not-a-secret', model: 'emb-kb', dims: 64 }));

test('two processes on one knowledge base: the one holding it open catches up with the other\'s writes', async () => {
  const state = tmpDir('aiml-kb-state-');
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, { 'a.md': '# Alpha\nalpha particles\n', 'b.md': '# Beta\nbeta decay\n' });
  const name = uniqueId('kb');
  const [a, b] = [registry(state), registry(state)];
  const files = scanDirectory(dir).files;
  await (await a.get(name, { root: dir })).indexFiles(files.filter((f) => f.path === 'a.md'));
  const retrieverB = new HybridRetriever(b);
  expect((await retrieverB.query(name, 'beta decay', { mode: 'lexical' })).map((h) => h.path)).toEqual([]);
  await (await a.get(name)).indexFiles(files.filter((f) => f.path === 'b.md'));
  expect((await retrieverB.query(name, 'beta decay', { mode: 'lexical' })).map((h) => h.path)).toEqual(['b.md']);
  expect([...(await b.get(name)).manifest.keys()].sort()).toEqual(['a.md', 'b.md']);
  await a.closeAll();
  await b.closeAll();
});

test('retrieval filters by path, language and kind, and caps hits per file', async () => {
  const state = tmpDir('aiml-kb-state-');
  const dir = tmpDir('aiml-corpus-');
  const fns = Array.from({ length: 5 }, (_, i) => `/** Reads entry ${i} of the cache. */\nexport function cacheGet${i}(key: string) {\n  return cache.get(key + ${i});\n}\n`).join('\n');
  writeTree(dir, { 'src/cache.ts': fns, 'docs/cache.md': '# Cache\nThe cache get path: a key is looked up in memory first, then on disk, and stored back on a miss.\n', 'lib/cache.py': 'def cache_get(key):\n    """The cached value for key."""\n    return cache.get(key)\n' });
  const reg = registry(state);
  const name = uniqueId('kb');
  await (await reg.get(name, { root: dir })).indexFiles(scanDirectory(dir).files);
  const r = new HybridRetriever(reg);
  const paths = async (opts: Parameters<HybridRetriever['query']>[2]) => (await r.query(name, 'cache get key', opts)).map((h) => h.path);
  expect(await paths({ k: 4 })).toEqual(expect.arrayContaining(['docs/cache.md', 'lib/cache.py']));
  expect((await paths({ k: 4 })).filter((p) => p === 'src/cache.ts')).toHaveLength(2); // at most 2 per file while others remain
  expect((await paths({ k: 4, perFile: 0 })).filter((p) => p === 'src/cache.ts').length).toBeGreaterThan(2);
  expect(new Set(await paths({ filter: { pathPrefix: 'src/' } }))).toEqual(new Set(['src/cache.ts']));
  expect(await paths({ filter: { language: 'python' } })).toEqual(['lib/cache.py']);
  expect(await paths({ filter: { kind: 'section' } })).toEqual(['docs/cache.md']);
  await expect(r.query(name, '   ')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  await expect(r.query('no-such-kb', 'x')).rejects.toMatchObject({ code: 'KB_NOT_FOUND' });
  await reg.closeAll();
});
