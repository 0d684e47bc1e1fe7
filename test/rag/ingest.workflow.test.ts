import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { AimlClient } from '../../src/client/aiml-client';
import { ingestProgressQuery, ingestWorkflowId, stateQuery, type IngestInput, type IngestProgress, type IngestResult } from '../../src/contracts';
import { LocalOnnxEmbedder } from '../../src/rag/embed/local-onnx';
import { KbRegistry } from '../../src/rag/registry';
import { HybridRetriever } from '../../src/rag/retriever';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId } from '../support/env';
import { CORPUS, startRagWorker, useRagRig, writeTree } from './support';

const rig = useRagRig();

function sync(input: IngestInput): Promise<IngestResult> {
  return rig.client.workflow.execute('ingest', { taskQueue: rig.worker.taskQueue, workflowId: ingestWorkflowId(`${input.kb}-${uniqueId('t')}`), args: [input] });
}

test('ingest indexes a folder, then re-syncs incrementally: changed and new files only, deleted files removed', async () => {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, CORPUS);
  const kb = uniqueId('kb');

  const first = await sync({ kb, dir, batchFiles: 2 });
  expect(first).toMatchObject({ phase: 'done', filesToIndex: 4, filesIndexed: 4, filesUnchanged: 0, batches: 2, batchesDone: 2, skipped: { binary: 1 } });
  expect(first.chunksEmbedded + first.chunksCached).toBe(first.chunksIndexed);

  // The worker's own retriever (the one the design workflow uses) finds the right chunk.
  const hits = await rig.worker.deps.retriever!.search(kb, 'how are refunds issued for a payment', 3);
  expect(hits[0]).toMatchObject({ path: 'src/refund.py', startLine: 1, endLine: 3 });

  const unchanged = await sync({ kb });
  expect(unchanged).toMatchObject({ filesToIndex: 0, filesIndexed: 0, filesUnchanged: 4, chunksEmbedded: 0, batches: 0 });

  fs.appendFileSync(path.join(dir, 'src/invoice.ts'), '/** Voids an unpaid invoice. */\nexport function voidInvoice(id: string): void {\n  ledger.void(id);\n}\n');
  fs.rmSync(path.join(dir, 'notes/ops.txt'));
  fs.writeFileSync(path.join(dir, 'src/coupon.ts'), 'export const couponDiscount = (price: number, pct: number) => price * (1 - pct / 100);\n');
  const embedsBefore = rig.llm.embeddingRequests.length;
  const second = await sync({ kb });
  expect(second).toMatchObject({ filesToIndex: 2, filesIndexed: 2, filesUnchanged: 2, filesRemoved: 1, chunksRemoved: 1 });
  // invoice.ts: only its new symbol is embedded (the two old ones keep their ids); coupon.ts: one chunk.
  expect(second.chunksEmbedded).toBe(2);
  expect(rig.llm.embeddingRequests.length).toBe(embedsBefore); // the local model, not the endpoint

  // A fresh process sees the same knowledge base on disk.
  const reader = new KbRegistry(rig.worker.stateDir, new LocalOnnxEmbedder());
  const retriever = new HybridRetriever(reader);
  const voided = await retriever.query(kb, 'void an unpaid invoice', { k: 1 });
  expect(voided[0]).toMatchObject({ path: 'src/invoice.ts', symbol: 'voidInvoice', kind: 'function', startLine: 10, endLine: 13 });
  expect(await retriever.query(kb, 'page the on-call team', { k: 10, filter: { pathPrefix: 'notes/' } })).toEqual([]);
  const stats = await (await reader.get(kb)).stats();
  expect(stats).toMatchObject({ files: 4, model: 'local:minilm-static', dims: 384, store: 'embedded' });
  const kbHandle = await reader.get(kb);
  const manifestIds = [...kbHandle.manifest.values()].flatMap((f) => f.ids);
  expect(stats.chunks).toBe(manifestIds.length); // nothing duplicated, nothing orphaned
  await reader.closeAll();
});

test('a sync that continues as new carries every count: a redacted credential in an early run, and the bytes the time left is estimated by', async () => {
  const dir = tmpDir('aiml-corpus-');
  const key = `sk-proj-${'Zq8Xw2Ld5Rk9Tb4Nm7Vc1Hs6Jf3Gy0Pa2Ue5Lm7'.repeat(2).slice(0, 74)}T3BlbkFJ${'Wn4Ks8Qd2Lp6Rt1Vb9Xc3Mf7Gh5Jy0Az4Se8Ud6'.repeat(2).slice(0, 74)}`;
  const files: Record<string, string> = { 'config/settings.json': JSON.stringify({ openai: { apiKey: key } }, null, 2) };
  for (let i = 0; i < 4; i++) files[`docs/part${i}.md`] = `# Part ${i}\n\n${'Refunds are issued within five days. '.repeat(i * 20 + 1)}\n`;
  writeTree(dir, files);
  const bytes = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0);
  const kb = uniqueId('kb');
  // One file a batch, two batches a run: the credential's batch is in the first run, and three runs follow it.
  const handle = await rig.client.workflow.start('ingest', { taskQueue: rig.worker.taskQueue, workflowId: ingestWorkflowId(`${kb}-${uniqueId('t')}`), args: [{ kb, dir, batchFiles: 1, batchesPerRun: 2 }] });
  const result = (await handle.result()) as IngestResult;
  expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
  expect(result).toMatchObject({ phase: 'done', filesToIndex: 5, filesIndexed: 5, batches: 5, batchesDone: 5, secretsRedacted: 1, bytesToIndex: bytes, bytesIndexed: bytes });
});

test('the progress query reports phase and counts while a sync runs', async () => {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, CORPUS);
  const handle = await rig.client.workflow.start('ingest', { taskQueue: rig.worker.taskQueue, workflowId: uniqueId('kb-ingest'), args: [{ kb: uniqueId('kb'), dir, batchFiles: 1 }] });
  const result = (await handle.result()) as IngestResult;
  const progress = await handle.query(ingestProgressQuery);
  expect(progress).toEqual(result);
  expect(progress.batchesDone).toBe(4);
});

test('a missing directory fails the sync at once with KB_DIR_MISSING, not retried', async () => {
  const err = await sync({ kb: uniqueId('kb'), dir: '/nonexistent/aiml-corpus' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as { cause?: { type?: string; message?: string } };
  expect(cause.cause?.type).toBe('KB_DIR_MISSING');
  expect(cause.cause?.message).toBe('Directory /nonexistent/aiml-corpus does not exist');
});

test("a knowledge base keeps its model: a local one syncs on a worker configured for an endpoint; an endpoint's is refused, not mixed, where that endpoint is not configured", async () => {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, CORPUS);
  const local = uniqueId('kb');
  await sync({ kb: local, dir });
  const other = await startRagWorker({
    llmUrl: rig.llm.url,
    stateDir: rig.worker.stateDir,
    rag: { embeddings: { kind: 'openai', model: 'emb-other', baseURL: rig.llm.url, apiKey: 'sk-test-not-a-secret' }, store: { kind: 'embedded' } },
  });
  const run = (taskQueue: string, input: { kb: string; dir?: string }) =>
    rig.client.workflow.execute('ingest', { taskQueue, workflowId: uniqueId('kb-ingest'), args: [input] }).catch((e: WorkflowFailedError) => e);
  try {
    // Local models need no settings: the endpoint's worker syncs the MiniLM knowledge base with MiniLM.
    fs.appendFileSync(path.join(dir, 'README.md'), '\nOne more line.\n');
    expect(await run(other.taskQueue, { kb: local })).toMatchObject({ phase: 'done', filesIndexed: 1 });
    // A knowledge base built on the endpoint's model cannot be synced where only local models run.
    const remote = uniqueId('kb');
    expect(await run(other.taskQueue, { kb: remote, dir })).toMatchObject({ phase: 'done' });
    const err = await run(rig.worker.taskQueue, { kb: remote });
    const cause = (err as WorkflowFailedError).cause as { cause?: { type?: string; message?: string } };
    expect(cause.cause?.type).toBe('KB_MODEL_MISMATCH');
    expect(cause.cause?.message).toContain(
      `Knowledge base "${remote}" was built with the embedding model openai:emb-other (`,
    );
    expect(cause.cause?.message).toContain(`but this process embeds with local:minilm-static. Use the same model (AIML_EMBEDDINGS=openai AIML_EMBED_MODEL=emb-other)`);
  } finally {
    await other.stop();
  }
});

test('a DESIGN run given a knowledge base drafts with the chunks retrieved from it', async () => {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, CORPUS);
  const kb = uniqueId('kb');
  await sync({ kb, dir });
  rig.llm.enqueue(draftReply('kb'));
  const handle = await rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('design-kb'),
    args: [{ brief: 'Refund payments automatically when a card charge is disputed', workspace: tmpDir(), kb }],
  });
  try {
    for (let s = await handle.query(stateQuery); s.status !== 'awaiting_approval'; s = await handle.query(stateQuery)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const prompt = rig.llm.requests.at(-1)!.messages.map((m) => m.content).join('\n');
    expect(prompt).toContain('## Knowledge base');
    expect(prompt).toContain('### src/refund.py:1-3');
    expect(prompt).toContain('def refund_payment(payment_id, amount):');
  } finally {
    await handle.terminate('test done');
  }
});

test('a running sync answers for its progress: status and watch see its worker there and how far it got', async () => {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`notes/n${i}.md`, `# Note ${i}\nRetry number ${i} with backoff ${i * 7} ms.\n`])));
  const kb = uniqueId('kb');
  const workflowId = ingestWorkflowId(kb);
  const aiml = new AimlClient(rig.client, { namespace: 'default', taskQueue: rig.worker.taskQueue });
  const handle = await rig.client.workflow.start('ingest', { taskQueue: rig.worker.taskQueue, workflowId, args: [{ kb, dir, batchFiles: 1 }] });
  let seen: IngestProgress | undefined;
  for (let i = 0; i < 100 && !seen; i++) {
    const view = await aiml.describe(workflowId);
    if (view.closeTime) break;
    const p = await aiml.ingestProgress(view);
    if (p?.phase === 'indexing') {
      seen = p;
      expect(await aiml.ownerAnswers(view)).toBe(true); // before: the state query it does not have said "no worker"
    }
  }
  expect(seen).toMatchObject({ kb, phase: 'indexing', filesToIndex: 40, batches: 40 });
  await handle.result();
  const done = await aiml.describe(workflowId);
  expect(await aiml.ingestProgress(done)).toMatchObject({ phase: 'done', filesIndexed: 40 });
});
