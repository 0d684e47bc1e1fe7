import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { kbActivities, type KbPlanOutput } from '../../src/activities/kb';
import type { ActivityDeps } from '../../src/activities/deps';
import { LocalOnnxEmbedder } from '../../src/rag/embed/local-onnx';
import { OpenAiEmbedder } from '../../src/rag/embed/openai-embedder';
import { KbRegistry } from '../../src/rag/registry';
import { HybridRetriever } from '../../src/rag/retriever';
import { BlobStore } from '../../src/storage/blob-store';
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

function depsFor(stateDir: string): ActivityDeps {
  const kbs = new KbRegistry(stateDir, new OpenAiEmbedder({ baseURL: llm.url, apiKey: 'sk-test-not-a-secret', model: 'emb-kb', dims: 64 }));
  return { kbs, blobs: new BlobStore(`${stateDir}/blobs`), stateDir } as unknown as ActivityDeps;
}

test('a retried batch resumes after the files its last heartbeat reported, and re-running is idempotent', async () => {
  const dir = tmpDir('aiml-corpus-');
  const files = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}.md`, `# Note ${i}\nAbout topic number ${i}.\n`]));
  writeTree(dir, files);
  const bytes = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0);
  const deps = depsFor(tmpDir('aiml-kb-state-'));
  const acts = kbActivities(deps);
  const kb = uniqueId('kb');
  const plan = (await new MockActivityEnvironment().run(acts.kbPlan, { kb, dir, batchFiles: 8 })) as KbPlanOutput;
  expect(plan).toMatchObject({ toIndex: 8, batches: 1, unchanged: 0, bytesToIndex: bytes });

  // The first attempt died after reporting 4 files done: the retry indexes only the other 4.
  const beats: unknown[] = [];
  const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { done: 4, report: { files: 4, chunks: 4, embedded: 4, cached: 0, unchangedChunks: 0 } } });
  retry.on('heartbeat', (d: unknown) => beats.push(d));
  const report = await retry.run(acts.kbIndexBatch, { kb, planRef: plan.planRef, batch: 0, batchFiles: 8 });
  // The batch's bytes are its planned files' (all 8, as its file count), whatever the retry had left to do.
  expect(report).toEqual({ files: 8, chunks: 8, embedded: 8, cached: 0, unchangedChunks: 0, bytes });
  const store = await deps.kbs!.get(kb);
  expect([...store.manifest.keys()].sort()).toEqual(['f4.md', 'f5.md', 'f6.md', 'f7.md']);
  expect(beats.at(-1)).toMatchObject({ done: 8 });

  // Running the whole batch again (twice) stores the same points: nothing duplicated or re-embedded.
  const again = await new MockActivityEnvironment().run(acts.kbIndexBatch, { kb, planRef: plan.planRef, batch: 0, batchFiles: 8 });
  expect(again).toMatchObject({ files: 8, unchangedChunks: 4, embedded: 4 }); // f0-f3 were never really indexed here
  const third = await new MockActivityEnvironment().run(acts.kbIndexBatch, { kb, planRef: plan.planRef, batch: 0, batchFiles: 8 });
  expect(third).toMatchObject({ files: 8, unchangedChunks: 8, embedded: 0, cached: 0 });
  expect(await store.store.count()).toBe(8);
  await deps.kbs!.closeAll();
});

test('syncing an existing knowledge base from another folder is refused', async () => {
  const a = tmpDir('aiml-corpus-');
  writeTree(a, { 'a.md': '# A\n' });
  const deps = depsFor(tmpDir('aiml-kb-state-'));
  const acts = kbActivities(deps);
  const kb = uniqueId('kb');
  await new MockActivityEnvironment().run(acts.kbPlan, { kb, dir: a, batchFiles: 8 });
  const other = tmpDir('aiml-other-');
  const quiet = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) });
  await expect(quiet.run(acts.kbPlan, { kb, dir: other, batchFiles: 8 })).rejects.toMatchObject({
    type: 'KB_ROOT_MISMATCH',
    nonRetryable: true,
  });
  await deps.kbs!.closeAll();
});

test("a knowledge base can be built with another local model than the worker's; it keeps it wherever it is opened, and --model cannot change it", async () => {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, { 'retry.md': '# Retries\nRetry the request with exponential backoff and jitter.\n', 'invoice.md': '# Invoices\nRender the invoice as a PDF file.\n' });
  const state = tmpDir('aiml-kb-state-');
  const deps = depsFor(state); // this worker's own model is an OpenAI-compatible endpoint's
  const acts = kbActivities(deps);
  const kb = uniqueId('kb');
  const env = new MockActivityEnvironment();
  const plan = (await env.run(acts.kbPlan, { kb, dir, batchFiles: 8, model: 'minilm-static' })) as KbPlanOutput;
  await env.run(acts.kbIndexBatch, { kb, planRef: plan.planRef, batch: 0, batchFiles: 8 });
  const built = await deps.kbs!.get(kb);
  expect(built.settings).toMatchObject({ model: 'local:minilm-static', dims: 384 });
  expect(built.embedder.id).toBe('local:minilm-static');
  const [top] = await new HybridRetriever(deps.kbs!).query(kb, 'back off before trying a failed request again', { k: 1, mode: 'dense' });
  expect(top).toMatchObject({ path: 'retry.md' });

  // Another process whose model is MiniLM opens and searches it with the model it was built with.
  const other = new KbRegistry(state, new LocalOnnxEmbedder());
  expect((await other.get(kb)).embedder.id).toBe('local:minilm-static');
  await other.closeAll();

  const quiet = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) });
  await expect(quiet.run(acts.kbPlan, { kb, dir, batchFiles: 8, model: 'bge-small-en-v1.5-q' })).rejects.toMatchObject({
    type: 'KB_MODEL_MISMATCH',
    message: `Knowledge base "${kb}" was built with the embedding model local:minilm-static, not local:bge-small-en-v1.5-q; to change it: aiml kb rm ${kb} && aiml kb add ${dir} --kb ${kb} --model bge-small-en-v1.5-q`,
  });
  await expect(quiet.run(acts.kbPlan, { kb: uniqueId('kb'), dir, batchFiles: 8, model: 'gpt-embed' })).rejects.toMatchObject({
    type: 'INPUT_INVALID',
    message: expect.stringContaining('gpt-embed is not a local embedding model; use one of all-minilm-l6-v2-q, bge-small-en-v1.5-q, minilm-static'),
  });
  await deps.kbs!.closeAll();
}, 120_000);
