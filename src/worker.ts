import { loadLlmConfig, loadTemporalConfig } from './config';
import { errorMessage } from './errors';
import { describeRoutes } from './llm/providers';
import { stateDir } from './paths';
import { connectWorker, dataConverterFor } from './temporal/connection';
import { installRuntimeLogger } from './temporal/runtime';
import { loadHostConfig } from './config-hosts';
import { applyV8Flags, workerMemorySettings } from './temporal/worker-memory';
import { buildDeps, createHostWorkers, resolveLlm } from './worker-factory';

/** `node dist/worker.js` (or `aiml worker`): runs a worker until SIGINT/SIGTERM. */
export async function runWorker(env: NodeJS.ProcessEnv = process.env, opts: { json?: boolean } = {}): Promise<void> {
  const temporal = loadTemporalConfig(env);
  const host = loadHostConfig(env);
  const memory = workerMemorySettings(env);
  applyV8Flags(memory.v8Flags);
  installRuntimeLogger(env);
  const llm = resolveLlm(loadLlmConfig(env), env, (line) => process.stderr.write(`${line}\n`));
  if (llm.provider === 'local' && !llm.routing) process.stderr.write(`aiml worker: no LLM endpoint configured, using the offline local model ${llm.localModelPath}\n`);
  if (llm.routing) {
    const { routes } = describeRoutes(llm.routing);
    process.stderr.write(`aiml worker: model providers from ${llm.routing.source}:\n${routes.map((r) => `  ${r.purpose}: ${r.providers.join(' → ')}`).join('\n')}\n`);
  }
  const deps = buildDeps(llm, stateDir(env));
  const connection = await connectWorker(temporal);
  const workers = await createHostWorkers({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    host,
    deps,
    dataConverter: dataConverterFor(temporal),
    maxCachedWorkflows: memory.maxCachedWorkflows,
  });
  process.stderr.write(
    `aiml worker: task queue "${temporal.taskQueue}" and "${workers.hostQueue}" (host "${host.hostId}") on ${temporal.address} (namespace ${temporal.namespace}), blobs in ${deps.blobs.where}\n`,
  );
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ready: true, taskQueue: temporal.taskQueue, hostQueue: workers.hostQueue, host: host.hostId, identity: workers.identity, address: temporal.address, namespace: temporal.namespace })}\n`);
  }
  try {
    await workers.run();
  } finally {
    await connection.close();
    await deps.llm.close();
  }
}

if (require.main === module) {
  runWorker().catch((err) => {
    process.stderr.write(`aiml worker: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  });
}

