import { inspect } from 'node:util';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * The worker's log lines: `text` (for a terminal or a log file) or `json` (one object per line:
 * time, level, message, and the SDK's context — workflow id, run id, activity type, attempt — for
 * a log pipeline). Workflow logs go through the SDK's replay-aware logger, so a replay does not
 * log twice.
 */
export type LogFormat = 'text' | 'json';

const isoTime = (entry: LogEntry): string => new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();

export function jsonLine(entry: LogEntry): string {
  const { sdkComponent, ...meta } = entry.meta ?? {};
  return JSON.stringify({ time: isoTime(entry), level: entry.level, message: entry.message, ...(sdkComponent ? { component: sdkComponent } : {}), ...meta });
}

export function textLine(entry: LogEntry): string {
  const rest = entry.meta === undefined ? '' : ` ${inspect(entry.meta, { breakLength: Infinity, depth: 4 })}`;
  return `${isoTime(entry)} [${entry.level}] ${entry.message}${rest}`;
}

/** Without `write`, text goes to the SDK's default (stderr) and JSON to stderr. */
export function createLogger(level: LogLevel, format: LogFormat, write?: (line: string) => void): DefaultLogger {
  if (format === 'json') {
    const out = write ?? ((l: string) => void process.stderr.write(`${l}\n`));
    return new DefaultLogger(level, (entry) => out(jsonLine(entry)));
  }
  return write ? new DefaultLogger(level, (entry) => write(textLine(entry))) : new DefaultLogger(level);
}
