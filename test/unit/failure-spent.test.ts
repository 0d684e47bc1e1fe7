import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import { failureSpent } from '../../src/workflows/run-state';

const activityFailure = (details: unknown[]): ActivityFailure =>
  new ActivityFailure('Activity task failed', 'planBuild', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', ApplicationFailure.create({ type: 'LLM_MALFORMED_OUTPUT', message: 'x', details }));

test("what a failed activity's calls spent is read from its failure, and nothing else is taken for it", () => {
  const spent = { promptTokens: 900, completionTokens: 300, totalTokens: 1200, llmCalls: 2, llmMs: 4100, costUsd: 0.0031 };
  expect(failureSpent(activityFailure([{ status: null, spent }]))).toEqual(spent);
  expect(failureSpent(activityFailure([{ spent: { ...spent, llmMs: -1, costUsd: 'free' } }]))).toEqual({ promptTokens: 900, completionTokens: 300, totalTokens: 1200, llmCalls: 2 });
  expect(failureSpent(activityFailure([{ spent: { ...spent, totalTokens: '1200' } }]))).toBeUndefined();
  expect(failureSpent(activityFailure([{ spent: null }]))).toBeUndefined();
  expect(failureSpent(activityFailure([]))).toBeUndefined();
  // A child run counts its own spending; the parent does not take it again from the child's failure.
  expect(failureSpent(new ChildWorkflowFailure('default', { workflowId: 'c', runId: 'r' }, 'build', RetryState.NON_RETRYABLE_FAILURE, activityFailure([{ spent }])))).toBeUndefined();
  expect(failureSpent(new Error('plain'))).toBeUndefined();
});
