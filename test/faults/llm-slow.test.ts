import { describeRun } from '../../src/client/run-view';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { useRig } from '../support/rig';
import { activityAttempts, approveAtGate, scriptByTag } from './support';

/**
 * An LLM slower than the call's deadline (AIML_LLM_TIMEOUT_MS, here 1.5 s; answers take 4 s): each
 * slow attempt times out and is retried by Temporal. A run whose endpoint gets fast again
 * completes; one whose endpoint stays slow fails after the retry policy's 6 attempts, naming the
 * timeout. Both at once: ~45 s (the retry backoff of the failing run).
 */

const rig = useRig({ llmTimeoutMs: 1_500 });
const SLOW = { delayMs: 4_000 };

function start(tag: string) {
  return rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId(`fault-slow-${tag.toLowerCase()}`),
    args: [{ brief: `${tag}: an agent that triages support tickets`, workspace: tmpDir() }],
  });
}

test('an LLM slower than its deadline: retried, status names the timeout; completes once fast, else fails naming the timeout after 6 attempts', async () => {
  const seen = scriptByTag(rig.llm, {
    'SLOW-THEN-FAST': [{ ...draftReply('slow-1'), ...SLOW }, { ...draftReply('slow-2'), ...SLOW }, draftReply('fast-again')],
    'ALWAYS-SLOW': [{ ...draftReply('never'), ...SLOW }],
  });
  const recovering = await start('SLOW-THEN-FAST');
  const doomed = await start('ALWAYS-SLOW');

  // While it retries, `aiml status` says which call, which attempt, and that it timed out.
  const view = await waitFor(async () => {
    const v = await describeRun(rig.client, recovering.workflowId);
    return (v.trouble?.attempt ?? 0) >= 2 && v.trouble?.cause ? v : undefined;
  }, 'a timed-out LLM call being retried', 60_000);
  expect(view.status).toBe('running');
  expect(view.trouble).toMatchObject({ kind: 'activity_retrying', activity: 'draftArchitecture', maxAttempts: 6 });
  expect(view.trouble!.cause).toContain('LLM request timed out after 1500 ms (AIML_LLM_TIMEOUT_MS)');

  const result = await approveAtGate(recovering);
  expect(result.draft.title).toBe('Support assistant architecture fast-again');
  expect(seen['SLOW-THEN-FAST']).toHaveLength(3);
  const attempts = activityAttempts((await recovering.fetchHistory()).events!, 'draftArchitecture');
  expect(attempts).toMatchObject({ scheduled: 1, started: [3], completed: 1 });
  expect(attempts.lastFailures[0]!.applicationFailureInfo?.type).toBe('LLM_TIMEOUT');

  // The endpoint that stays slow: exactly the policy's attempts, then a failed run naming the cause.
  const failed = await waitFor(async () => {
    const v = await describeRun(rig.client, doomed.workflowId);
    return v.status === 'failed' ? v : undefined;
  }, 'the always-slow run to fail', 120_000);
  expect(seen['ALWAYS-SLOW']).toHaveLength(6);
  expect(failed.error).toContain('draftArchitecture failed: LLM request timed out after 1500 ms (AIML_LLM_TIMEOUT_MS)');
}, 180_000);
