import path from 'node:path';
import fs from 'node:fs';
import { RUN_STATUSES, type RunStatus } from '../contracts';
import { AimlError } from '../errors';

/** Option parsing shared by commands; each failure names the option. */

export function parsePort(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new AimlError('USAGE', `${flag} must be a port number (1-65535), got "${value}"`);
  return n;
}

export function parsePositiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AimlError('USAGE', `${flag} must be a positive whole number, got "${value}"`);
  return n;
}

/** Durations like 500ms, 30s, 10m, 2h, 3d (or plain milliseconds). */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new AimlError('USAGE', `${flag} must be a duration like 30s, 10m, 2h or 3d, got "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

export function parseRunStatus(value: string): RunStatus {
  if (!(RUN_STATUSES as readonly string[]).includes(value)) {
    throw new AimlError('USAGE', `--status must be one of ${RUN_STATUSES.join(', ')}, got "${value}"`);
  }
  return value as RunStatus;
}

/** An existing directory, as an absolute path. */
export function parseWorkspace(value: string | undefined, cwd = process.cwd()): string {
  const dir = path.resolve(cwd, value ?? '.');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new AimlError('USAGE', `--workspace ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new AimlError('USAGE', `--workspace ${dir} is not a directory`);
  return dir;
}

export function shortId(): string {
  const t = Date.now().toString(36).slice(-5);
  const r = Math.random().toString(36).slice(2, 6);
  return `${t}${r}`;
}
