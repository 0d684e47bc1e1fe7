import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { RUN_MEMO_KEY, stateQuery, type RunMemo } from '../src/contracts';
import { draftReply } from './support/fixtures';
import { startWorker, tmpDir, uniqueId, type TestWorker } from './support/env';
import { useRig } from './support/rig';

const rig = useRig();
/** A second worker on the non-streaming JSON path of the same scripted LLM. */
let jsonWorker: TestWorker;

beforeAll(async () => {
  jsonWorker = await startWorker({ llmUrl: rig.llm.url, stream: false });
});
afterAll(async () => {
  await jsonWorker?.stop();
});

function start(taskQueue = rig.worker.taskQueue) {
  return rig.client.workflow.start('design', {
    taskQueue,
    workflowId: uniqueId('design-llm'),
    args: [{ brief: 'An agent that triages support tickets', workspace: tmpDir() }],
  });
}

async function reachesGate(handle: Awaited<ReturnType<typeof start>>): Promise<void> {
  const end = Date.now() + 30_000;
  while ((await handle.query(stateQuery)).status !== 'awaiting_approval') {
    if (Date.now() > end) throw new Error('never reached the gate');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The ApplicationFailure at the bottom of a failed run. */
async function failureOf(handle: Awaited<ReturnType<typeof start>>): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activity = (err as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  const app = (activity as ActivityFailure).cause;
  expect(app).toBeInstanceOf(ApplicationFailure);
  return app as ApplicationFailure;
}

test('a 500 is retried by Temporal and the run goes on', async () => {
  const before = rig.llm.requests.length;
  rig.llm.enqueue({ status: 500, error: 'upstream exploded' }, draftReply('after-500'));
  const handle = await start();
  await reachesGate(handle);
  expect(rig.llm.requests.length - before).toBe(2);
  expect((await handle.query(stateQuery)).details.title).toBe('Support assistant architecture after-500');
  await handle.terminate('test done');
});

test('a 429 waits for Retry-After, then succeeds', async () => {
  const before = rig.llm.requests.length;
  rig.llm.enqueue({ status: 429, error: 'slow down', headers: { 'retry-after': '3' } }, draftReply('after-429'));
  const handle = await start();
  await reachesGate(handle);
  expect(rig.llm.requests.length - before).toBe(2);
  const events = (await handle.fetchHistory()).events!;
  const attempts = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
  expect(attempts).toContain(2); // the draft activity's second attempt succeeded
  const draftScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'draftArchitecture')!;
  const draftStarted = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === draftScheduled.eventId!.toString())!;
  const gapMs = Number(draftStarted.eventTime!.seconds) * 1000 + draftStarted.eventTime!.nanos! / 1e6 - (Number(draftScheduled.eventTime!.seconds) * 1000 + draftScheduled.eventTime!.nanos! / 1e6);
  expect(gapMs).toBeGreaterThanOrEqual(2500); // Retry-After: 3 beat the 1 s initial retry interval
  await handle.terminate('test done');
});

test('a 401 fails the run at once with a clear, non-retryable error', async () => {
  const before = rig.llm.requests.length;
  rig.llm.enqueue({ status: 401, error: 'Incorrect API key provided' });
  const handle = await start();
  const failure = await failureOf(handle);
  expect(failure.type).toBe('LLM_UNAUTHORIZED');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(/401.*check OPENAI_API_KEY/);
  expect(rig.llm.requests.length - before).toBe(1);
  const state = await handle.query(stateQuery);
  expect(state.status).toBe('failed');
  // The key the worker holds never reaches history.
  expect(JSON.stringify(await handle.fetchHistory())).not.toContain('sk-test-not-a-secret');
});

test('malformed JSON is repaired with one follow-up request quoting the problem', async () => {
  const before = rig.llm.requests.length;
  rig.llm.enqueue({ content: 'Sure! Here is the design: {"title": "half' }, draftReply('repaired'));
  const handle = await start(jsonWorker.taskQueue); // the non-streaming JSON path
  await reachesGate(handle);
  expect(rig.llm.requests.length - before).toBe(2);
  const repair = rig.llm.requests.at(-1)!;
  expect(repair.stream).toBeFalsy();
  expect(repair.messages.at(-1)!.content).toMatch(/not valid for the required JSON schema/);
  expect((await handle.query(stateQuery)).details.title).toBe('Support assistant architecture repaired');
  await handle.terminate('test done');
});

test('malformed twice fails the run with LLM_MALFORMED_OUTPUT, no crash loop', async () => {
  const before = rig.llm.requests.length;
  rig.llm.enqueue({ content: '{"title": "x"}' }, { content: 'still not the schema' });
  const handle = await start();
  const failure = await failureOf(handle);
  expect(failure.type).toBe('LLM_MALFORMED_OUTPUT');
  expect(failure.message).toMatch(/overview|not valid JSON/);
  expect(rig.llm.requests.length - before).toBe(2);
  // The two calls were spent all the same: the failed run counts them (its memo, what aiml status shows).
  const memo = (await handle.describe()).memo?.[RUN_MEMO_KEY] as RunMemo;
  expect(memo.usage).toMatchObject({ llmCalls: 2, totalTokens: expect.any(Number) });
  expect(memo.usage.totalTokens).toBeGreaterThan(0);
  expect(memo.usage.totalTokens).toBe(memo.usage.promptTokens + memo.usage.completionTokens);
});
