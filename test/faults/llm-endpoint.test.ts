import type { Client, WorkflowHandle } from '@temporalio/client';
import { describeRun } from '../../src/client/run-view';
import { draftReply } from '../support/fixtures';
import { startWorker, testClient, tmpDir, uniqueId, waitFor, type TestWorker } from '../support/env';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { freePort } from '../support/ports';
import { approveAtGate } from './support';

/**
 * LLM endpoint faults the main suite does not cover: nothing listening (connection refused) and
 * an SSE stream cut in the middle. Each run is retried by Temporal and ends in success.
 */

let client: Client;
let closeClient: () => Promise<void>;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await closeClient?.();
});

async function worker(llmUrl: string): Promise<TestWorker> {
  const w = await startWorker({ llmUrl });
  cleanups.push(() => w.stop());
  return w;
}

async function llmOn(port?: number): Promise<ScriptedLlm> {
  const llm = await startScriptedLlm({ port });
  cleanups.push(() => llm.close());
  return llm;
}

function startDesign(taskQueue: string, prefix: string): Promise<WorkflowHandle> {
  return client.workflow.start('design', {
    taskQueue,
    workflowId: uniqueId(prefix),
    args: [{ brief: 'An agent that triages support tickets', workspace: tmpDir() }],
  });
}

test('connection refused: status shows the retries and the cause; once a server appears the run completes', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/v1`;
  const w = await worker(url);
  const handle = await startDesign(w.taskQueue, 'fault-refused');

  const view = await waitFor(async () => {
    const v = await describeRun(client, handle.workflowId);
    return (v.trouble?.attempt ?? 0) >= 2 && v.trouble?.cause ? v : undefined;
  }, 'a retried LLM call with its cause');
  expect(view.status).toBe('running');
  expect(view.trouble).toMatchObject({ kind: 'activity_retrying', activity: 'draftArchitecture', maxAttempts: 6 });
  expect(view.trouble!.cause).toContain(`LLM endpoint ${url} unreachable`);
  expect(view.trouble!.line).toMatch(/draftArchitecture attempt [2-6] of 6/);

  const llm = await llmOn(port); // the endpoint comes up on the same address
  llm.enqueue(draftReply('after-refused'));
  const result = await approveAtGate(handle);
  expect(result.rounds).toBe(1);
  expect(llm.requests).toHaveLength(1); // the refused attempts never reached a server
  expect((await describeRun(client, handle.workflowId)).status).toBe('completed');
});

test('an SSE stream cut in the middle is retried and the run completes', async () => {
  const llm = await llmOn();
  const w = await worker(llm.url);
  llm.enqueue({ ...draftReply('cut'), cut: true }, draftReply('after-cut'));
  const handle = await startDesign(w.taskQueue, 'fault-sse-cut');
  const result = await approveAtGate(handle);
  expect(result.rounds).toBe(1);
  expect(llm.requests).toHaveLength(2);
  expect(llm.requests.every((r) => r.stream === true)).toBe(true);
  // The second request is a plain retry of the same prompt, not a repair of the half answer.
  expect(llm.requests[1]!.messages).toEqual(llm.requests[0]!.messages);
  const events = (await handle.fetchHistory()).events!;
  const retried = events.find((e) => e.activityTaskStartedEventAttributes?.attempt === 2)!.activityTaskStartedEventAttributes!;
  // The cut surfaced as a retryable connection failure of the draft activity, not as a bad answer.
  expect(retried.lastFailure?.applicationFailureInfo?.type).toBe('LLM_CONNECTION');
  expect(retried.lastFailure?.message).toContain(`LLM endpoint ${llm.url} unreachable`);
  expect(result.draft.title).toBe('Support assistant architecture after-cut');
});
