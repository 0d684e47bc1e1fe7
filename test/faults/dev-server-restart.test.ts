import fs from 'node:fs';
import path from 'node:path';
import { installRuntimeLogger } from '../../src/temporal/runtime';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { ownDevServer } from '../support/own-dev-server';
import { startScriptedLlm } from '../support/scripted-llm';
import { activityAttempts, approveAtGate, deferred, localActivities, onceEach } from './support';

/**
 * The dev server (its own, on a sqlite file) stopped and restarted while an activity runs: the
 * LLM call is open when the server goes down, and its answer arrives while the server is away.
 * The worker reconnects, the run goes on to its gate and completes; the draft is recorded once and
 * the spec written once. ~25 s (two server starts).
 */

test('dev server restarted while an LLM activity runs: the run completes, its draft recorded once, the spec written once', async () => {
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' }); // the worker's reconnect warnings are expected here
  const llm = await startScriptedLlm();
  const answer = deferred();
  llm.enqueue({ ...draftReply('held-through-restart'), holdUntil: answer.promise }, draftReply('asked-again'));
  const workspace = tmpDir();
  const dev = await ownDevServer({ llmUrl: llm.url, taskQueue: 'restart-mid-activity' });
  try {
    const handle = await dev.client.workflow.start('design', { taskQueue: 'restart-mid-activity', workflowId: uniqueId('design-restart-mid'), args: [{ brief: 'Survive a restart mid call', workspace }] });
    await waitFor(async () => (llm.requests.length === 1 ? true : undefined), 'the LLM call to be open', 60_000);

    // Down goes the server with the call open; the answer comes while it is away.
    await dev.stop();
    answer.resolve();
    await new Promise((r) => setTimeout(r, 2_000));
    await dev.start();

    const result = await approveAtGate(handle, 120_000);
    expect(result.rounds).toBe(1);
    const events = (await handle.fetchHistory()).events!;
    const draft = activityAttempts(events, 'draftArchitecture');
    expect(draft).toMatchObject({ scheduled: 1, completed: 1 });
    // Either the worker's completion reached the restarted server (one call), or the attempt timed
    // out and ran again (two calls): the recorded draft is the one the history says.
    expect(llm.requests.length).toBe(draft.started[0]);
    expect(result.draft.title).toBe(`Support assistant architecture ${llm.requests.length === 1 ? 'held-through-restart' : 'asked-again'}`);
    expect(onceEach(localActivities(events))).toContain('writeSpec'); // each local step (the spec write among them) once
    expect(fs.readFileSync(path.join(workspace, 'SPECS.md'), 'utf8')).toContain(result.draft.title);
  } finally {
    answer.resolve();
    await dev.close();
    await llm.close();
  }
}, 180_000);
