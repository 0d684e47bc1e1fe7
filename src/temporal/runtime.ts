import { Runtime, type LogLevel } from '@temporalio/worker';
import { createLogger } from '../observability/logger';

let installed = false;

/** Worker logs at AIML_LOG_LEVEL (default WARN: the bundler's INFO chatter is noise to a user). Once per process. */
export function installRuntimeLogger(env: NodeJS.ProcessEnv = process.env): void {
  if (installed) return;
  installed = true;
  const level = (env.AIML_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  try {
    const metrics = env.AIML_METRICS_ADDRESS?.trim();
    Runtime.install({
      logger: createLogger(level, env.AIML_LOG_FORMAT?.trim() === 'json' ? 'json' : 'text'),
      // Worker metrics and the project's own (aiml_*) on one Prometheus endpoint, /metrics.
      ...(metrics ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metrics } } } } : {}),
    });
  } catch {
    /* a runtime already exists in this process */
  }
}
