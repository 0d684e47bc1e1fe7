import type { IngestResult } from '../../src/contracts';
import { KbRegistry } from '../../src/rag/registry';
import { OpenAiEmbedder } from '../../src/rag/embed/openai-embedder';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { aimlEnv, spawnWorker } from '../support/processes';
import { useRig } from '../support/rig';
import { writeTree } from '../rag/support';

/**
 * A worker SIGKILLed as the ingest workflow continues as new: the kill lands the moment the second
 * run of the chain exists, while its first workflow task and first batch are on the dying worker
 * (each batch is held open for a second there). A new worker finishes the chain; the result and
 * the stored chunks are those of an undisturbed sync of the same folder. ~40 s (timeouts of the
 * dead worker's tasks).
 */

const rig = useRig({ worker: false });

test('SIGKILL during continue-as-new: the ingest chain finishes with the undisturbed result, every chunk stored once', async () => {
  const taskQueue = uniqueId('tq-kb-can');
  const home = tmpDir('aiml-home-');
  const env = aimlEnv({ AIML_TASK_QUEUE: taskQueue, AIML_HOME: home, OPENAI_BASE_URL: rig.llm.url, OPENAI_API_KEY: 'sk-test', AIML_EMBEDDINGS: 'openai' });
  const corpus = tmpDir('aiml-corpus-');
  writeTree(corpus, Object.fromEntries(Array.from({ length: 12 }, (_, f) => [`doc${f}.md`, `# Doc ${f}\n\n## Part A\nFile ${f} explains topic ${f * 3}.\n\n## Part B\nFile ${f} lists caveats ${f * 7}.\n`])));
  // 12 files, 2 per batch: 6 batches; 2 batches per run: a chain of 3 runs.
  const input = { dir: corpus, batchFiles: 2, batchesPerRun: 2 };

  const first = await spawnWorker({ ...env, AIML_FAULT_INDEX_PAUSE_MS: '1000' });
  const workflowId = uniqueId('kb-can');
  const handle = await rig.client.workflow.start('ingest', { taskQueue, workflowId, args: [{ kb: 'chained', ...input }] });
  const firstRunId = handle.firstExecutionRunId;
  await waitFor(async () => ((await rig.client.workflow.getHandle(workflowId).describe()).runId !== firstRunId ? true : undefined), 'the first continue-as-new', 90_000);
  await first.kill();

  const second = await spawnWorker(env);
  let disturbed: IngestResult;
  let undisturbed: IngestResult;
  try {
    disturbed = (await handle.result()) as IngestResult;
    undisturbed = await rig.client.workflow.execute('ingest', { taskQueue, workflowId: uniqueId('kb-calm'), args: [{ kb: 'calm', ...input }] });
  } finally {
    await second.stop();
  }

  const { kb: _a, ...got } = disturbed;
  const { kb: _b, ...want } = undisturbed;
  expect(want).toMatchObject({ phase: 'done', batches: 6, batchesDone: 6, filesIndexed: 12 });
  expect({ ...got, chunksEmbedded: 0, chunksCached: 0 }).toEqual({ ...want, chunksEmbedded: 0, chunksCached: 0 });
  // A batch the dead worker had finished is not embedded again; one it held may be (its chunks then come from the cache).
  expect(got.chunksEmbedded + got.chunksCached).toBe(got.chunksIndexed);

  // Three runs in the chain, the first two handed over by continue-as-new.
  const runs: { runId: string; status: string }[] = [];
  for await (const r of rig.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: r.runId, status: r.status.name });
  expect(runs.map((r) => r.status).sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW']);
  // The kill hit the hand-over: the second run's first task or batch, begun by the dead worker, was done again.
  const secondRun = runs.find((r) => r.runId !== firstRunId && r.status === 'CONTINUED_AS_NEW')!;
  const events = (await rig.client.workflow.getHandle(workflowId, secondRun.runId).fetchHistory()).events!;
  expect(events.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1 || e.workflowTaskTimedOutEventAttributes)).toBe(true);

  // The stored knowledge base: every file once, every chunk once, as many as the undisturbed one holds.
  const reader = new KbRegistry(home, new OpenAiEmbedder({ model: 'text-embedding-3-small', baseURL: rig.llm.url, apiKey: 'sk-test' }));
  try {
    const [chained, calm] = [await reader.get('chained'), await reader.get('calm')];
    const ids = [...chained.manifest.values()].flatMap((f) => f.ids);
    expect(chained.manifest.size).toBe(12);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await chained.store.count()).toBe(ids.length);
    expect(await chained.store.count()).toBe(await calm.store.count());
  } finally {
    await reader.closeAll();
  }
}, 180_000);
