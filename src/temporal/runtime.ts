import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/** Worker logs at AIML_LOG_LEVEL (default WARN: the bundler's INFO chatter is noise to a user). Once per process. */
export function installRuntimeLogger(env: NodeJS.ProcessEnv = process.env): void {
  if (installed) return;
  installed = true;
  const level = (env.AIML_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    /* a runtime already exists in this process */
  }
}
