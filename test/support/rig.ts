import type { Client } from '@temporalio/client';
import { startScriptedLlm, type ScriptedLlm } from './scripted-llm';
import { startWorker, testClient, type TestWorker, type TestWorkerOptions } from './env';

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
export function useRig(opts: Omit<TestWorkerOptions, 'llmUrl'> & { worker?: boolean } = {}): Rig {
  const rig = {} as Rig;
  let close: (() => Promise<void>) | undefined;
  let stopped: Promise<void> | undefined;
  rig.stopWorker = () => (stopped ??= rig.worker?.stop() ?? Promise.resolve());
  beforeAll(async () => {
    rig.llm = await startScriptedLlm();
    const { worker, ...workerOpts } = opts;
    if (worker !== false) rig.worker = await startWorker({ llmUrl: rig.llm.url, ...workerOpts });
    ({ client: rig.client, close } = await testClient());
  });
  afterAll(async () => {
    await rig.stopWorker();
    await close?.();
    await rig.llm?.close();
  });
  return rig;
}
