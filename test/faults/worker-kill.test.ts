import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { IngestResult } from '../../src/contracts';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { aimlEnv, spawnWorker } from '../support/processes';
import { useRig } from '../support/rig';
import { writeTree } from '../rag/support';
import { activityAttempts, approveAtGate, deferred, localActivities, onceEach, promptOf, scriptByTag } from './support';

/**
 * A worker SIGKILLed while a run's activity is in flight: an LLM call the scripted model holds
 * open, and a knowledge-base retrieval whose query embedding the scripted endpoint holds. A new
 * worker picks both up once the dead one's heartbeats stop (30 s) and finishes them with the result
 * an undisturbed run has; each interrupted call is made again exactly once.
 * Both runs share one kill, so the suite pays the heartbeat timeout once (~45 s in all).
 */

const rig = useRig({ worker: false });
const hold = deferred();
afterAll(() => hold.resolve());

test('worker SIGKILLed mid LLM call and mid retrieval: a new worker finishes both runs, each call repeated once, nothing twice', async () => {
  const taskQueue = uniqueId('tq-kill-mid');
  const home = tmpDir('aiml-home-');
  const env = aimlEnv({ AIML_TASK_QUEUE: taskQueue, AIML_HOME: home, OPENAI_BASE_URL: rig.llm.url, OPENAI_API_KEY: 'sk-test', AIML_MODEL: 'scripted', AIML_EMBEDDINGS: 'openai' });
  const first = await spawnWorker(env);

  // A knowledge base for the retrieval run, embedded by the scripted endpoint.
  const corpus = tmpDir('aiml-corpus-');
  writeTree(corpus, {
    'rotation.md': '# Key rotation\nThe zebra-falcon rotation replaces every signing key each 30 days.\n',
    'oncall.md': '# On call\nPages go to the platform rota; escalate after 15 minutes.\n',
  });
  const kb = uniqueId('kb');
  const synced: IngestResult = await rig.client.workflow.execute('ingest', { taskQueue, workflowId: uniqueId('kb-ingest'), args: [{ kb, dir: corpus }] });
  expect(synced.filesIndexed).toBe(2);

  const seen = scriptByTag(rig.llm, {
    'LLM-HELD': [{ ...draftReply('held'), holdUntil: hold.promise }, draftReply('llm-retried')],
    'KB-HELD': [draftReply('kb')],
  });
  const embedsBefore = rig.llm.embeddingRequests.length;
  rig.llm.holdEmbeddings(hold.promise);
  const llmRun = await rig.client.workflow.start('design', {
    taskQueue,
    workflowId: uniqueId('kill-mid-llm'),
    args: [{ brief: 'LLM-HELD: an agent that triages support tickets', workspace: tmpDir() }],
  });
  const kbWorkspace = tmpDir();
  const kbRun = await rig.client.workflow.start('design', {
    taskQueue,
    workflowId: uniqueId('kill-mid-kb'),
    args: [{ brief: 'KB-HELD: an assistant that explains the zebra-falcon key rotation', workspace: kbWorkspace, kb }],
  });
  // Both calls are open at the scripted endpoint, held.
  await waitFor(async () => (seen['LLM-HELD']!.length === 1 && rig.llm.embeddingRequests.length > embedsBefore ? true : undefined), 'the held LLM call and the held query embedding', 60_000);
  const abandonedBefore = rig.llm.abandoned;
  await first.kill();
  expect(first.child.signalCode).toBe('SIGKILL');
  await waitFor(async () => (rig.llm.abandoned > abandonedBefore ? true : undefined), 'the endpoint to see the killed call go'); // the socket died with the process
  rig.llm.holdEmbeddings(undefined);
  expect(seen['KB-HELD']).toHaveLength(0); // the dead worker never got past retrieval

  const second = await spawnWorker(env);
  try {
    const [llmResult, kbResult] = await Promise.all([approveAtGate(llmRun), approveAtGate(kbRun)]);

    // The LLM run: the held call was made once more, by the new worker, and its answer is the run's.
    expect(seen['LLM-HELD']).toHaveLength(2);
    expect(promptOf(seen['LLM-HELD']![1]!)).toBe(promptOf(seen['LLM-HELD']![0]!));
    expect(llmResult).toMatchObject({ rounds: 1, decisions: [expect.objectContaining({ decision: 'approve' })] });
    expect(llmResult.draft.title).toBe('Support assistant architecture llm-retried');

    // The retrieval run: the query embedded again, then one LLM call whose prompt carries the KB's text.
    // (The new worker also embeds a "dimension probe" when it opens the knowledge base.)
    const queries = rig.llm.embeddingRequests.slice(embedsBefore).filter((r) => r.input.some((t) => t.includes('KB-HELD')));
    expect(queries).toHaveLength(2);
    expect(queries[1]!.input).toEqual(queries[0]!.input);
    expect(seen['KB-HELD']).toHaveLength(1);
    expect(promptOf(seen['KB-HELD']![0]!)).toContain('zebra-falcon rotation replaces every signing key');
    expect(kbResult.draft.title).toBe('Support assistant architecture kb');
    expect(fs.readFileSync(path.join(kbWorkspace, 'SPECS.md'), 'utf8')).toContain('Support assistant architecture kb');

    for (const handle of [llmRun, kbRun]) {
      const events = (await handle.fetchHistory()).events!;
      const draft = activityAttempts(events, 'draftArchitecture');
      // One activity, its second attempt completed it after the first timed out on heartbeats.
      expect(draft).toMatchObject({ scheduled: 1, started: [2], completed: 1 });
      expect(draft.lastFailures[0]!.timeoutFailureInfo?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
      expect(onceEach(localActivities(events))).toContain('writeSpec'); // each local step (the spec write among them) once
    }
  } finally {
    await second.stop();
  }
}, 180_000);
