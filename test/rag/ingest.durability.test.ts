import path from 'node:path';
import { ingestProgressQuery, type IngestResult } from '../../src/contracts';
import { ensureLocalModel } from '../../src/rag/embed/model-install';
import { LocalOnnxEmbedder } from '../../src/rag/embed/local-onnx';
import { KbRegistry } from '../../src/rag/registry';
import { tmpDir, uniqueId } from '../support/env';
import { useRig } from '../support/rig';
import { aimlEnv, spawnWorker } from '../support/processes';
import { writeTree } from './support';

const rig = useRig({ worker: false });

test('SIGKILL of the worker mid-ingest: a new worker finishes the sync, every chunk stored once', async () => {
  const home = tmpDir('aiml-home-');
  const env = aimlEnv({ AIML_TASK_QUEUE: uniqueId('tq-kb'), AIML_HOME: home, OPENAI_BASE_URL: rig.llm.url, AIML_EMBED_MODEL_DIR: path.dirname(ensureLocalModel().onnx) });
  const dir = tmpDir('aiml-corpus-');
  const section = (f: number, s: number) => `## Part ${s}\nFile ${f} section ${s} explains topic ${f * 10 + s} in a few plain words, with an example.\n`;
  writeTree(dir, Object.fromEntries(Array.from({ length: 24 }, (_, f) => [`doc${f}.md`, [0, 1, 2, 3].map((s) => section(f, s)).join('\n')])));
  const kb = uniqueId('kb');

  // The first worker holds each batch open for 3 s after indexing it, so the kill lands mid-batch.
  const first = await spawnWorker({ ...env, AIML_FAULT_INDEX_PAUSE_MS: '3000' });
  const handle = await rig.client.workflow.start('ingest', { taskQueue: env.AIML_TASK_QUEUE!, workflowId: uniqueId('kb-ingest'), args: [{ kb, dir, batchFiles: 4 }] });
  for (;;) {
    const p = await handle.query(ingestProgressQuery);
    if (p.batchesDone >= 2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 800)); // batch 3 has started and is in its pause
  await first.kill();

  const second = await spawnWorker(env);
  try {
    // A dead worker's batch is retried once its heartbeat times out (20 s); say what the workers said if it never ends.
    const stuck = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`sync did not finish:\n--- first worker ---\n${first.output()}\n--- second worker ---\n${second.output()}`)), 200_000).unref(),
    );
    const result = (await Promise.race([handle.result(), stuck])) as IngestResult;
    expect(result).toMatchObject({ phase: 'done', batches: 6, batchesDone: 6, filesIndexed: 24, chunksIndexed: 96 });
    expect(result.chunksEmbedded + result.chunksCached).toBeLessThanOrEqual(96);
  } finally {
    await second.stop();
  }

  const history = await handle.fetchHistory();
  const retried = history.events!.filter((e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1);
  expect(retried.length).toBeGreaterThanOrEqual(1); // the batch the dead worker held ran again

  const reader = new KbRegistry(home, new LocalOnnxEmbedder());
  const stored = await reader.get(kb);
  const ids = [...stored.manifest.values()].flatMap((f) => f.ids);
  expect(stored.manifest.size).toBe(24);
  expect(new Set(ids).size).toBe(96);
  expect(await stored.store.count()).toBe(96);
  await reader.closeAll();
}, 240_000);
