import type { RunView } from '../../src/client/run-view';
import { AimlClient } from '../../src/client/aiml-client';
import { startWorker, testClient, tmpDir, uniqueId, waitFor, type TestWorker } from '../support/env';
import { aimlEnv } from '../support/processes';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { cli } from './cli';

/**
 * Failures and retries are visible in `aiml status` and `aiml watch`: which step, which activity,
 * attempt n of m, the next retry and the cause (never just "Activity task failed"); a workflow task
 * that keeps failing shows as stuck.
 */

let llm: ScriptedLlm;
let worker: TestWorker;
let aiml: AimlClient;
let closeClient: () => Promise<void>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  llm = await startScriptedLlm();
  worker = await startWorker({ llmUrl: llm.url });
  const { client, close } = await testClient();
  closeClient = close;
  aiml = new AimlClient(client, { namespace: 'default', taskQueue: worker.taskQueue });
  env = aimlEnv({ AIML_TASK_QUEUE: worker.taskQueue, AIML_HOME: tmpDir('aiml-home-') });
});
afterAll(async () => {
  await worker?.stop();
  await closeClient?.();
  await llm?.close();
});

test('an endpoint that keeps answering 500: status shows the activity, attempt n of 6, the next retry and the cause', async () => {
  llm.setFallback(() => ({ status: 500, error: 'upstream exploded' }));
  const id = uniqueId('design-500');
  await aiml.start('design', id, { brief: 'A ticket triage agent', workspace: tmpDir() });
  const view = await waitFor(async () => {
    const v = await aiml.describe(id);
    return (v.trouble?.attempt ?? 0) >= 2 ? v : undefined;
  }, 'a second attempt of the LLM call');
  expect(view.trouble).toMatchObject({ kind: 'activity_retrying', activity: 'draftArchitecture', maxAttempts: 6 });

  const status = await cli(['status', id], env);
  expect(status.code).toBe(0);
  const problem = status.stdout.split('\n').find((l) => l.trim().startsWith('problem:'));
  expect(problem).toMatch(
    new RegExp(`draftArchitecture attempt [2-6] of 6, (next retry at \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z|running now); last failure: LLM endpoint answered 500 at ${llm.url.replace(/\./g, '\\.')}`),
  );
  const json = JSON.parse((await cli(['status', id, '--json'], env)).stdout);
  expect(json.trouble.cause).toContain('upstream exploded');
  await aiml.cancel(id);
  expect((await aiml.watch(id)).status).toBe('cancelled');
});

test('an endpoint that answers 404: the failed run says why, naming the URL, in status and watch', async () => {
  llm.setFallback(() => ({ status: 404, error: 'The model `scripted-model` does not exist' }));
  const id = uniqueId('design-404');
  await aiml.start('design', id, { brief: 'A ticket triage agent', workspace: tmpDir() });
  expect((await aiml.watch(id)).status).toBe('failed');

  const status = await cli(['status', id], env);
  expect(status.code).toBe(0);
  expect(status.stdout).not.toMatch(/Activity task failed/);
  expect(status.stdout).toMatch(/step: +failed in draftArchitecture/);
  const error = status.stdout.split('\n').find((l) => l.trim().startsWith('error:'))!;
  expect(error.trim()).toBe(
    `error:   draftArchitecture failed: LLM endpoint answered 404 at ${llm.url}: check OPENAI_BASE_URL and AIML_MODEL (404 The model \`scripted-model\` does not exist)`,
  );
  const watched = await cli(['watch', id], env);
  expect(watched.code).toBe(1);
  expect(watched.stdout.split('\n')[0]).toContain(`failed: draftArchitecture failed: LLM endpoint answered 404 at ${llm.url}`);
});

test('a workflow task that fails on every try shows as stuck in status, with its cause', async () => {
  const id = uniqueId('stuck');
  // A type the worker does not have: every workflow task fails, as a throwing handler would make it.
  await aiml.client.workflow.start('noSuchWorkflow', { taskQueue: worker.taskQueue, workflowId: id, args: [] });
  try {
    const view = await waitFor(async () => {
      const v = await aiml.describe(id);
      return v.trouble?.kind === 'workflow_task_failing' ? v : undefined;
    }, 'a failing workflow task', 60_000);
    expect(view.trouble!.attempt).toBeGreaterThan(1);
    const status = await cli(['status', id], env);
    expect(status.stdout.split('\n')[0]).toBe(`${id}  noSuchWorkflow  stuck (was running)`);
    expect(status.stdout).toMatch(/problem: stuck: the workflow task fails on every try \(attempt \d+\): .*noSuchWorkflow/);
    const watched = await cli(['watch', id], env);
    expect(watched.code).toBe(1); // it cannot move by itself: watch says so instead of waiting forever
  } finally {
    await aiml.client.workflow.getHandle(id).terminate('test done');
  }
});

test("a revert run (it answers no query) is seen alive by its queue's pollers, not reported as a worker that is not running", async () => {
  const view = (taskQueue: string) => ({ workflowId: uniqueId('revert'), type: 'revert', taskQueue, closeTime: null }) as unknown as RunView;
  expect(await aiml.ownerAnswers(view(worker.taskQueue))).toBe(true);
  expect(await aiml.ownerAnswers(view(uniqueId('nobody-polls')))).toBe(false);
});
