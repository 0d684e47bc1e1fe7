import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RevertInput, RevertOutput } from '../contracts/revert';
import { IO_ACTIVITY } from './activity-options';

const io = wf.proxyActivities<Activities>(IO_ACTIVITY);

/**
 * Undoes a build run's applied steps where its journal lives: `aiml revert` on another host starts
 * this on the owning host's queue, so that host's worker restores its own workspace.
 */
export async function revert(input: RevertInput): Promise<RevertOutput> {
  return io.revertBuildSteps.executeWithOptions({ ...IO_ACTIVITY, retry: { ...IO_ACTIVITY.retry, maximumAttempts: 2 }, summary: `revert ${input.workflowId}${input.step ? ` from step ${input.step}` : ''}` }, [input]);
}
