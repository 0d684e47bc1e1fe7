import fs from 'node:fs';
import path from 'node:path';
import { AimlClient } from '../../src/client/aiml-client';
import { decisionOutcome } from '../../src/client/decisions';
import { approveSignal } from '../../src/contracts';
import { draftReply } from '../support/fixtures';
import { startWorker, testClient, tmpDir, uniqueId, type TestWorker } from '../support/env';
import { aimlEnv } from '../support/processes';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { cli } from './cli';

/**
 * One decision path, one honest answer, on the real dev server: with the worker stopped (its
 * poller still listed for minutes), a decision is queued and said to be; a second decision on
 * the same gate is refused, naming the queued one; when a worker returns, the queued one applies.
 */

let llm: ScriptedLlm;
let aiml: AimlClient;
let closeClient: () => Promise<void>;
let worker: TestWorker | undefined;
const taskQueue = uniqueId('tq-decide');
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  llm = await startScriptedLlm();
  const { client, close } = await testClient();
  closeClient = close;
  aiml = new AimlClient(client, { namespace: 'default', taskQueue });
  env = aimlEnv({ AIML_TASK_QUEUE: taskQueue, AIML_USER: 'cli-tester', AIML_HOME: tmpDir('aiml-home-'), AIML_DECIDE_WAIT: '3s' });
});
afterAll(async () => {
  await worker?.stop();
  await closeClient?.();
  await llm?.close();
});

test('no worker: approve is queued (exit 0), a reject after it is refused (exit 1), and the approval applies when a worker returns', async () => {
  worker = await startWorker({ llmUrl: llm.url, taskQueue });
  llm.enqueue(draftReply('queued'));
  const workspace = tmpDir();
  const id = uniqueId('design-queued');
  await aiml.start('design', id, { brief: 'A support copilot', workspace });
  expect(await aiml.watch(id)).toMatchObject({ status: 'awaiting_approval', pendingGate: 'design/spec' });
  await worker.stop(); // its poller stays listed on the task queue for minutes
  worker = undefined;

  const approved = await cli(['approve', id, '--comment', 'ship it'], env);
  expect(approved).toMatchObject({ code: 0, stderr: '' });
  expect(approved.stdout).toMatch(/^queued: will apply when a worker picks up the run \(design\/spec of design-queued-/);

  const rejected = await cli(['reject', id, '--feedback', 'use pgvector'], env);
  expect(rejected.code).toBe(1);
  expect(rejected.stderr).toMatch(/Gate "design\/spec" already has a decision waiting to be applied: approve by cli-tester \(sent 20\d\d-/);
  const twice = await cli(['approve', id, '--json'], env);
  expect(twice.code).toBe(1);
  expect(twice.stdout).toBe('');

  const full = await cli(['status', id, '--full'], env); // the state query needs a worker: said, with a deadline
  expect(full.code).toBe(1);
  expect(full.stderr.trim()).toBe(`aiml: No worker answered the state query for "${id}" within 5s: is "aiml worker" running?`);

  const waiting = await aiml.describe(id);
  expect(waiting).toMatchObject({ status: 'awaiting_approval', pendingGate: 'design/spec' }); // nothing applied yet

  worker = await startWorker({ llmUrl: llm.url, taskQueue });
  const done = await aiml.watch(id, { throughGates: true }); // it still says awaiting until the worker applies the queued approval
  expect(done).toMatchObject({ status: 'completed', artifacts: [path.join(workspace, 'SPECS.md')] });
  expect(fs.existsSync(path.join(workspace, 'SPECS.md'))).toBe(true);
  const state = await aiml.query(id);
  expect(state.gates.map((g) => g.decision)).toEqual([expect.objectContaining({ decision: 'approve', by: 'cli-tester', comment: 'ship it', via: 'signal' })]);
  expect(state.ignoredDecisions).toEqual([]); // the refused reject was never sent
});

test('with a worker: the decision is applied and said to be, with its round; one on a closed run is refused', async () => {
  worker ??= await startWorker({ llmUrl: llm.url, taskQueue });
  llm.enqueue(draftReply('live-1'), draftReply('live-2'));
  const id = uniqueId('design-live');
  await aiml.start('design', id, { brief: 'A search assistant', workspace: tmpDir() });
  await aiml.watch(id);

  const rejected = await cli(['reject', id, '--feedback', 'cheaper model', '--json'], env);
  expect(rejected.code).toBe(0);
  expect(JSON.parse(rejected.stdout)).toMatchObject({
    outcome: 'applied',
    queued: false,
    workflowId: id,
    decision: { gate: 'design/spec', round: 1, decision: 'reject', by: 'cli-tester', feedback: 'cheaper model', via: 'signal' },
  });
  expect(await aiml.watch(id)).toMatchObject({ status: 'awaiting_approval', pendingGate: 'design/spec' });
  const approved = await cli(['approve', id, '--by', 'ana'], env);
  expect(approved.code).toBe(0);
  expect(approved.stdout.trim()).toBe(`applied: Approved design/spec (round 2) of ${id} as ana`);
  expect((await aiml.watch(id)).status).toBe('completed');

  const late = await cli(['approve', id], env);
  expect(late.code).toBe(1);
  expect(late.stderr).toMatch(/already ended \(completed\)/);
});

test('a decision that ends the run is still answered when the worker stops right after (as `aiml run` stops its own): from the memo', async () => {
  worker ??= await startWorker({ llmUrl: llm.url, taskQueue });
  llm.enqueue(draftReply('gone'));
  const id = uniqueId('design-gone');
  await aiml.start('design', id, { brief: 'A triage assistant', workspace: tmpDir() });
  await aiml.watch(id);
  const sentAt = Date.now();
  const payload = { by: 'ana', comment: 'fine' };
  const { client, close } = await testClient();
  try {
    await client.workflow.getHandle(id).signal(approveSignal, payload);
    expect((await aiml.watch(id, { throughGates: true })).status).toBe('completed');
    await worker.stop(); // its poller stays listed: a state query would wait for nobody
    worker = undefined;

    const outcome = await decisionOutcome(client, id, 'design/spec', { decision: 'approve', ...payload }, payload, sentAt);
    const published = (await aiml.describe(id)).gates![0]!.decision!;
    expect(outcome).toEqual({
      outcome: 'applied',
      workflowId: id,
      gate: 'design/spec',
      decision: { gate: 'design/spec', round: 1, decision: 'approve', by: 'ana', at: published.at, comment: 'fine', via: 'signal' },
    });
    // Not applied, and nobody to ask why: said so, not guessed.
    await expect(decisionOutcome(client, id, 'design/spec', { decision: 'reject', by: 'bob', feedback: 'no' }, { by: 'bob', feedback: 'no' }, sentAt)).rejects.toMatchObject({
      code: 'NO_WORKER_ANSWER',
      message: expect.stringMatching(/^The run processed the decision, but whether it applied cannot be read: it has ended \(completed\) and no worker answers for it/),
    });
    // Its full state needs a worker too; what its history keeps (the result) is shown instead, and why.
    const full = await cli(['status', id, '--full', '--json'], env);
    expect(full.code).toBe(0);
    const shown = JSON.parse(full.stdout) as { state: unknown; stateNote: string; result: { specPath: string; decisions: unknown[] } };
    expect(shown.state).toBeNull();
    expect(shown.stateNote).toMatch(/^the run has ended \(completed\) and no worker answers for it, so its full state cannot be read .*below is its result, from its history$/);
    expect(shown.result.decisions).toEqual([expect.objectContaining({ gate: 'design/spec', decision: 'approve', by: 'ana' })]);
    expect(shown.result.specPath).toMatch(/SPECS\.md$/);
  } finally {
    await close();
  }
});
