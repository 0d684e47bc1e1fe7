import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { installRuntimeLogger } from '../../src/temporal/runtime';
import type { ActivityDeps } from '../../src/activities';
import type { RagConfig } from '../../src/rag/config';
import type { LlmConfig } from '../../src/config';
import { setupTracing, tracingWorkerOptions } from '../../src/observability/tracing';
import { defaultHostId } from '../../src/config-hosts';
import { buildDeps, createHostWorkers, type createWorker } from '../../src/worker-factory';
import type { PriceTable } from '../../src/llm/prices';

/** Shared helpers for tests that run workflows on the suite's real dev server. */

export function temporalAddress(): string {
  const address = process.env.AIML_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('AIML_TEST_TEMPORAL_ADDRESS is not set: run through jest (global setup starts the server)');
  return address;
}

export async function testClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: temporalAddress() });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

/** Polls `fn` until it returns a value, or fails naming what it waited for. */
export async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function tmpDir(prefix = 'aiml-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestWorker {
  /** The worker on `taskQueue` (the shared queue; its twin polls this machine's host queue). */
  worker: Worker;
  taskQueue: string;
  stateDir: string;
  deps: ActivityDeps;
  stop(): Promise<void>;
}

export interface TestWorkerOptions {
  llmUrl: string;
  taskQueue?: string;
  stateDir?: string;
  stream?: boolean;
  /** The LLM request deadline (AIML_LLM_TIMEOUT_MS; default 30 s). */
  llmTimeoutMs?: number;
  /** Retrieval settings (default: from the environment, i.e. the local ONNX model and the embedded store). */
  rag?: RagConfig;
  /** Payload codecs (encryption tests). */
  dataConverter?: Parameters<typeof createWorker>[0]['dataConverter'];
  /** Namespace (default: default). */
  namespace?: string;
  /** Tracing (observability tests). */
  tracing?: Parameters<typeof createWorker>[0]['tracing'];
  /** The price table (default: the built-in one, which does not price `scripted-model`). */
  prices?: PriceTable;
  /** LLM settings in place of the one scripted endpoint at `llmUrl` (provider lists). */
  llm?: LlmConfig;
}

/** An in-process worker on its own task queue, talking to the scripted LLM at `llmUrl`. */
export async function startWorker(opts: TestWorkerOptions): Promise<TestWorker> {
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' });
  const taskQueue = opts.taskQueue ?? uniqueId('tq');
  const stateDir = opts.stateDir ?? tmpDir('aiml-state-');
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const llm = opts.llm ?? { baseURL: opts.llmUrl, apiKey: 'sk-test-not-a-secret', model: 'scripted-model', timeoutMs: opts.llmTimeoutMs ?? 30_000, stream: opts.stream ?? true, ...(opts.prices ? { prices: opts.prices } : {}) };
  const deps = opts.rag ? buildDeps(llm, stateDir, opts.rag) : buildDeps(llm, stateDir);
  // Like `aiml worker`: the shared queue and this machine's host queue, where the CLI (same hostname) starts runs.
  const workers = await createHostWorkers({
    connection,
    namespace: opts.namespace ?? 'default',
    taskQueue,
    host: { hostId: defaultHostId() },
    deps,
    workflowBundle: { codePath: process.env.AIML_TEST_WORKFLOW_BUNDLE! },
    dataConverter: opts.dataConverter,
    tracing: opts.tracing,
  });
  const running = workers.run();
  return {
    worker: workers.workers[1]!,
    taskQueue,
    stateDir,
    deps,
    async stop() {
      workers.shutdown();
      await running;
      await deps.kbs?.closeAll();
      await connection.close();
    },
  };
}

/** Options for Worker.runReplayHistory: the suite's bundle and the (no-op) tracing sink it references. */
export function replayOptions(): { workflowBundle: { codePath: string }; sinks: ReturnType<typeof tracingWorkerOptions>['sinks'] } {
  return { workflowBundle: { codePath: process.env.AIML_TEST_WORKFLOW_BUNDLE! }, sinks: tracingWorkerOptions(setupTracing({})).sinks };
}
