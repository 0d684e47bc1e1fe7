import path from 'node:path';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import type { LlmConfig } from './config';
import { LlmGateway } from './llm/gateway';
import { loadRagConfig, type RagConfig } from './rag/config';
import { createEmbedder, KbRegistry } from './rag/registry';
import { createLlmReranker } from './rag/rerank';
import { HybridRetriever } from './rag/retriever';
import { BlobStore } from './storage/blob-store';
import { prebuiltBundle } from './temporal/bundle';

/** Builds activity dependencies once: the LLM client, the blob store, the retriever. */
export function buildDeps(llm: LlmConfig, stateDir: string, rag: RagConfig = loadRagConfig(process.env)): ActivityDeps {
  const kbs = new KbRegistry(stateDir, createEmbedder(rag.embeddings), rag.store);
  const gateway = new LlmGateway(llm);
  return {
    llm: gateway,
    blobs: new BlobStore(path.join(stateDir, 'blobs')),
    stateDir,
    kbs,
    retriever: new HybridRetriever(kbs, rag.rerank === 'llm' ? { rerank: createLlmReranker(gateway) } : {}),
    faults: faultsFromEnv(process.env),
  };
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
}

/** A given bundle, else the one `npm run build` made, else bundle the workflows now. */
function workflowSource(given: WorkerOptions['workflowBundle']): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundle = given ?? prebuiltBundle();
  return bundle ? { workflowBundle: bundle } : { workflowsPath: require.resolve('./workflows') };
}

export function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...workflowSource(opts.workflowBundle),
    // Parked runs (waiting days for a human) need not stay in memory: evicted ones replay on demand.
    maxCachedWorkflows: opts.maxCachedWorkflows ?? 100,
    identity: `aiml-worker@${process.pid}`,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
  });
}
