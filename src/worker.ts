import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { loadLlmConfig, loadTemporalConfig } from './config';
import { errorMessage } from './errors';
import { stateDir } from './paths';
import { connectWorker } from './temporal/connection';
import { buildDeps, createWorker } from './worker-factory';

/** `node dist/worker.js` (or `aiml worker`): runs a worker until SIGINT/SIGTERM. */
export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const temporal = loadTemporalConfig(env);
  installRuntimeLogger(env);
  const deps = buildDeps(loadLlmConfig(env), stateDir(env));
  const connection = await connectWorker(temporal);
  const worker = await createWorker({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    deps,
    maxCachedWorkflows: env.AIML_MAX_CACHED_WORKFLOWS ? Number(env.AIML_MAX_CACHED_WORKFLOWS) : undefined,
  });
  process.stderr.write(`aiml worker: task queue "${temporal.taskQueue}" on ${temporal.address} (namespace ${temporal.namespace})\n`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  runWorker().catch((err) => {
    process.stderr.write(`aiml worker: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  });
}

let runtimeInstalled = false;

/** Worker logs at AIML_LOG_LEVEL (default WARN: the bundler's INFO chatter is noise to a user). */
export function installRuntimeLogger(env: NodeJS.ProcessEnv): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (env.AIML_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  Runtime.install({ logger: new DefaultLogger(level) });
}
