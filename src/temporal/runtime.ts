import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

let installed = false;

/** A log line per entry, appended synchronously so nothing is lost when the process dies. */
function fileLogFunction(file: string): (entry: LogEntry) => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return ({ level, message, meta, timestampNanos }) => {
    const at = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    const rest = meta === undefined ? '' : ` ${inspect(meta, { breakLength: Infinity, depth: 4 })}`;
    fs.appendFileSync(file, `${at} [${level}] ${message}${rest}\n`);
  };
}

/**
 * Worker logs at AIML_LOG_LEVEL (default WARN: the bundler's INFO chatter is noise to a user). Once
 * per process. With `file`, every log line — the SDK's, the workflows' and the Rust core's — goes
 * to that file instead of the terminal (the in-process worker of `aiml run` shares its terminal
 * with a prompt). Returns where the logs go, or undefined for stderr.
 */
export function installRuntimeLogger(env: NodeJS.ProcessEnv = process.env, opts: { file?: string } = {}): string | undefined {
  if (installed) return undefined;
  installed = true;
  const level = (env.AIML_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  try {
    if (!opts.file) {
      Runtime.install({ logger: new DefaultLogger(level) });
      return undefined;
    }
    Runtime.install({
      logger: new DefaultLogger(level, fileLogFunction(opts.file)),
      telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: level, other: level }) } },
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
