import type { Client, WorkflowHandle } from '@temporalio/client';
import { stateQuery, type BuildInput, type RunState } from '../../src/contracts';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { startWorker, testClient, uniqueId, waitFor, type TestWorker } from '../support/env';

export { waitFor };

export function startBuild(client: Client, taskQueue: string, input: Partial<BuildInput> & { workspace: string }): Promise<WorkflowHandle> {
  return client.workflow.start('build', {
    taskQueue,
    workflowId: uniqueId('build'),
    args: [{ specPath: 'SPECS.md', ...input }],
  });
}

/** Waits until the run waits on `gate` (round `round`, default any), and returns the state. */
export function awaitingGate(handle: WorkflowHandle, gate: string, round?: number): Promise<RunState> {
  return waitFor(async () => {
    const s = await handle.query(stateQuery);
    if (s.status === 'failed') throw new Error(`run failed: ${s.error}`);
    const g = s.gates.find((x) => x.status === 'pending');
    return g && g.gate === gate && (round === undefined || g.round === round) ? s : undefined;
  }, `gate ${gate}${round ? ` round ${round}` : ''}`);
}

export interface Rig {
  llm: ScriptedLlm;
  worker: TestWorker;
  client: Client;
  /** Stops the in-process worker early (once). */
  stopWorker(): Promise<void>;
}

/**
 * A scripted LLM, an in-process worker and a client for the tests of one file (started once).
 * `worker: false` for tests that run their workers as child processes.
 */
export function useRig(opts: { stateDir?: string; worker?: boolean } = {}): Rig {
  const rig = {} as Rig;
  let close: (() => Promise<void>) | undefined;
  let stopped: Promise<void> | undefined;
  rig.stopWorker = () => (stopped ??= rig.worker?.stop() ?? Promise.resolve());
  beforeAll(async () => {
    rig.llm = await startScriptedLlm();
    if (opts.worker !== false) rig.worker = await startWorker({ llmUrl: rig.llm.url, stateDir: opts.stateDir });
    ({ client: rig.client, close } = await testClient());
  });
  afterAll(async () => {
    await rig.stopWorker();
    await close?.();
    await rig.llm?.close();
  });
  return rig;
}
