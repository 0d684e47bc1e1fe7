import fs from 'node:fs';
import path from 'node:path';
import { makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import { createLogger, type LogFormat } from '../observability/logger';

let installed = false;

/**
 * Appends each line synchronously, so nothing is lost when the process dies. The file is created
 * at once with a line saying what it holds: at the default level a quiet run writes nothing else,
 * and a user sent to the file should find it.
 */
export function appendTo(file: string, level: string, now = new Date()): (line: string) => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${now.toISOString()} worker ${process.pid} logs here at ${level} and above (AIML_LOG_LEVEL)\n`);
  return (line) => fs.appendFileSync(file, `${line}\n`);
}

/**
 * Worker logs at AIML_LOG_LEVEL (default WARN: the bundler's INFO chatter is noise to a user), as
 * text or JSON lines (AIML_LOG_FORMAT), and Prometheus metrics when AIML_METRICS_ADDRESS is set.
 * Once per process. With `file`, every log line — the SDK's, the workflows' and the Rust core's —
 * goes to that file instead of the terminal (the in-process worker of `aiml run` shares its
 * terminal with a prompt). Returns where the logs go, or undefined for stderr.
 */
export function installRuntimeLogger(env: NodeJS.ProcessEnv = process.env, opts: { file?: string } = {}): string | undefined {
  if (installed) return undefined;
  installed = true;
  const level = (env.AIML_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  const format: LogFormat = env.AIML_LOG_FORMAT?.trim() === 'json' ? 'json' : 'text';
  const address = env.AIML_METRICS_ADDRESS?.trim();
  // Worker metrics and the project's own (aiml_*) on one Prometheus endpoint, /metrics.
  const metrics = address ? { metrics: { prometheus: { bindAddress: address } } } : {};
  try {
    if (!opts.file) {
      Runtime.install({ logger: createLogger(level, format), telemetryOptions: metrics });
      return undefined;
    }
    Runtime.install({
      logger: createLogger(level, format, appendTo(opts.file, level)),
      telemetryOptions: { ...metrics, logging: { forward: {}, filter: makeTelemetryFilterString({ core: level, other: level }) } },
    });
    return opts.file;
  } catch {
    return undefined; // a runtime already exists in this process
  }
}

/** Where `aiml run` writes its worker's logs: one file per day under the state folder. */
export function workerLogFile(stateDir: string, now = new Date()): string {
  return path.join(stateDir, 'logs', `worker-${now.toISOString().slice(0, 10)}.log`);
}
