import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * The worker's log lines: `text` (Temporal's default, for a terminal) or `json` (one object per
 * line: time, level, message, and the SDK's context — workflow id, run id, activity type,
 * attempt — for a log pipeline). Workflow logs go through the SDK's replay-aware logger, so a
 * replay does not log twice.
 */
export type LogFormat = 'text' | 'json';

export function jsonLine(entry: LogEntry): string {
  const { sdkComponent, ...meta } = entry.meta ?? {};
  return JSON.stringify({
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level,
    message: entry.message,
    ...(sdkComponent ? { component: sdkComponent } : {}),
    ...meta,
  });
}

export function createLogger(level: LogLevel, format: LogFormat, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): DefaultLogger {
  return format === 'json' ? new DefaultLogger(level, (entry) => write(jsonLine(entry))) : new DefaultLogger(level);
}
