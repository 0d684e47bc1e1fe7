import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { planDevServer, startDevServer } from '../../src/temporal/dev-server';
import { installRuntimeLogger } from '../../src/temporal/runtime';
import { buildDeps, createWorker } from '../../src/worker-factory';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { startScriptedLlm } from '../support/scripted-llm';
import { activityAttempts, approveAtGate, deferred, freePort, localActivities } from './support';

/**
 * The dev server (its own, on a sqlite file) stopped and restarted while an activity runs: the
 * LLM call is open when the server goes down, and its answer arrives while the server is away.
 * The worker reconnects, the run goes on to its gate and completes; the draft is recorded once and
 * the spec written once. ~25 s (two server starts).
 */

test('dev server restarted while an LLM activity runs: the run completes, its draft recorded once, the spec written once', async () => {
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' }); // the worker's reconnect warnings are expected here
  const state = tmpDir('aiml-dev-');
  const plan = planDevServer(process.env.AIML_TEST_TEMPORAL_BIN!, { ip: '127.0.0.1', port: await freePort(), uiPort: await freePort(), stateDir: state });
  const llm = await startScriptedLlm();
  const answer = deferred();
  llm.enqueue({ ...draftReply('held-through-restart'), holdUntil: answer.promise }, draftReply('asked-again'));
  const workspace = tmpDir();
  const logFile = path.join(state, 'server.log');

  let server = await startDevServer(plan, { logFile });
  const cleanups: (() => Promise<unknown>)[] = [async () => server.child.kill('SIGKILL'), () => llm.close(), async () => answer.resolve()];
  try {
    const workerConnection = await NativeConnection.connect({ address: plan.address });
    cleanups.unshift(() => workerConnection.close());
    const worker = await createWorker({
      connection: workerConnection,
      namespace: 'default',
      taskQueue: 'restart-mid-activity',
      deps: buildDeps({ baseURL: llm.url, apiKey: 'k', model: 'm', timeoutMs: 60_000, stream: true }, state),
      workflowBundle: { codePath: process.env.AIML_TEST_WORKFLOW_BUNDLE! },
    });
    const running = worker.run();
    cleanups.unshift(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
    });
    const connection = await Connection.connect({ address: plan.address });
    cleanups.unshift(() => connection.close());
    const client = new Client({ connection });
    const handle = await client.workflow.start('design', { taskQueue: 'restart-mid-activity', workflowId: uniqueId('design-restart-mid'), args: [{ brief: 'Survive a restart mid call', workspace }] });
    await waitFor(async () => (llm.requests.length === 1 ? true : undefined), 'the LLM call to be open', 60_000);

    // Down goes the server with the call open; the answer comes while it is away.
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    answer.resolve();
    await new Promise((r) => setTimeout(r, 2_000));
    server = await startDevServer(plan, { logFile });

    const result = await approveAtGate(handle, 120_000);
    expect(result.rounds).toBe(1);
    const events = (await handle.fetchHistory()).events!;
    const draft = activityAttempts(events, 'draftArchitecture');
    expect(draft).toMatchObject({ scheduled: 1, completed: 1 });
    // Either the worker's completion reached the restarted server (one call), or the attempt timed
    // out and ran again (two calls): the recorded draft is the one the history says.
    expect(llm.requests.length).toBe(draft.started[0]);
    expect(result.draft.title).toBe(`Support assistant architecture ${llm.requests.length === 1 ? 'held-through-restart' : 'asked-again'}`);
    expect(localActivities(events)).toEqual(['checkOutputTarget', 'writeSpec']);
    expect(fs.readFileSync(path.join(workspace, 'SPECS.md'), 'utf8')).toContain(result.draft.title);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}, 180_000);
