import type { Client, WorkflowHandle } from '@temporalio/client';
import { stateQuery, type BuildInput, type RunState } from '../../src/contracts';
import { uniqueId, waitFor } from '../support/env';

export { waitFor };
export { useRig, type Rig } from '../support/rig';

/**
 * Starts a build. Steps are one-shot unless `stepMode: 'agent'` is given: the tests in test/build/
 * script one structured answer per step attempt; the agent loop's tests are in test/agent/.
 */
export function startBuild(client: Client, taskQueue: string, input: Partial<BuildInput> & { workspace: string }): Promise<WorkflowHandle> {
  return client.workflow.start('build', {
    taskQueue,
    workflowId: uniqueId('build'),
    args: [{ specPath: 'SPECS.md', stepMode: 'oneshot', ...input }],
  });
}

/** Waits until the run waits on `gate` (round `round`, default any), and returns the state. */
export function awaitingGate(handle: WorkflowHandle, gate: string, round?: number): Promise<RunState> {
  return waitFor(async () => {
    const s = await handle.query(stateQuery);
    if (s.status === 'failed') throw new Error(`run failed: ${s.error}: ${await failureOf(handle)}`);
    const g = s.gates.find((x) => x.status === 'pending');
    return g && g.gate === gate && (round === undefined || g.round === round) ? s : undefined;
  }, `gate ${gate}${round ? ` round ${round}` : ''}`);
}


/** The first activity failure in a run's history, with its cause (for test failure messages). */
async function failureOf(handle: WorkflowHandle): Promise<string> {
  const events = (await handle.fetchHistory()).events ?? [];
  const failed = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes?.failure;
  let f = failed;
  const parts: string[] = [];
  while (f) {
    parts.push(f.message ?? '');
    f = f.cause ?? undefined;
  }
  return parts.join(' <- ') || 'no activity failure in history';
}
