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

/** A whole number, 0 or more (a flag where 0 means "no limit"). */
export function parseWholeNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new AimlError('USAGE', `${flag} must be a whole number (0 or more), got "${value}"`);
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

/**
 * `AIML_WORKSPACE_MAP=/host/dir=/worker/dir`: the worker runs elsewhere (a container) and sees the
 * host's folder under another path. The CLI checks the host path and sends the worker's.
 */
export function mapWorkspace(dir: string, map: string | undefined, what = '--workspace'): string {
  if (!map?.trim()) return dir;
  const sep = map.indexOf('=');
  const from = sep > 0 ? path.resolve(map.slice(0, sep).trim()) : '';
  const to = sep > 0 ? map.slice(sep + 1).trim() : '';
  if (!from || !to.startsWith('/')) throw new AimlError('CONFIG_INVALID', `Invalid AIML_WORKSPACE_MAP: expected /host/dir=/worker/dir, got "${map}"`, { variable: 'AIML_WORKSPACE_MAP' });
  const rel = path.relative(from, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new AimlError('USAGE', `${what} ${dir} is outside ${from}, the folder the worker sees (AIML_WORKSPACE_MAP)`);
  }
  return path.posix.join(to, ...rel.split(path.sep));
}

/**
 * A path given on the command line that must exist on this machine as a `kind`, resolved against
 * `cwd` and returned as the worker sees it (`AIML_WORKSPACE_MAP`); a clear USAGE error otherwise.
 */
function existingPathForWorker(flag: string, kind: 'directory' | 'file', value: string, cwd: string, env: NodeJS.ProcessEnv): string {
  const abs = path.resolve(cwd, value);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new AimlError('USAGE', `${flag} ${abs} does not exist`);
  }
  if (kind === 'directory' ? !stat.isDirectory() : !stat.isFile()) throw new AimlError('USAGE', `${flag} ${abs} is not a ${kind}`);
  return mapWorkspace(abs, env.AIML_WORKSPACE_MAP, flag);
}

/** `--workspace`: an existing directory (default: `cwd`). */
export function parseWorkspace(value: string | undefined, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  return existingPathForWorker('--workspace', 'directory', value ?? '.', cwd, env);
}

/** `--spec`: an existing file. The worker reads it; checked here so a typo is said at once instead of failing the run it started. */
export function parseSpecPath(value: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  return existingPathForWorker('--spec', 'file', value, cwd, env);
}

export function shortId(): string {
  const t = Date.now().toString(36).slice(-5);
  const r = Math.random().toString(36).slice(2, 6);
  return `${t}${r}`;
}
