import v8 from 'node:v8';
import { AimlError } from '../errors';

/**
 * Memory settings of a long-lived worker (`aiml worker`), where thousands of runs may wait at gates.
 * Why these values: docs/operations.md, "Worker memory".
 */

/** Workflows kept in the worker's cache (AIML_MAX_CACHED_WORKFLOWS); evicted runs replay from history on their next task. */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 20;

/**
 * V8 flags set before the workflow thread starts (AIML_WORKER_V8_FLAGS; `none` keeps V8's defaults):
 * - `--optimize-for-size`: grow the heaps in small steps and collect sooner. Replaying evicted
 *   runs makes much short-lived garbage; with the default growth the workflow thread's heap
 *   swells to hundreds of MB of it and keeps that size while runs wait.
 * - `--max-semi-space-size=2`: a 2 MB young generation (instead of up to 16 MB) for the isolates
 *   started after this, i.e. the workflow thread.
 */
export const DEFAULT_WORKER_V8_FLAGS = '--optimize-for-size --max-semi-space-size=2';

export interface WorkerMemorySettings {
  maxCachedWorkflows: number;
  v8Flags: string[];
}

export function workerMemorySettings(env: NodeJS.ProcessEnv): WorkerMemorySettings {
  const raw = env.AIML_MAX_CACHED_WORKFLOWS?.trim();
  const maxCachedWorkflows = raw ? Number(raw) : DEFAULT_MAX_CACHED_WORKFLOWS;
  if (!Number.isInteger(maxCachedWorkflows) || maxCachedWorkflows < 2) {
    throw new AimlError('CONFIG_INVALID', `Invalid AIML_MAX_CACHED_WORKFLOWS: expected a whole number of at least 2, got "${raw}"`, { variable: 'AIML_MAX_CACHED_WORKFLOWS' });
  }
  const flags = (env.AIML_WORKER_V8_FLAGS ?? DEFAULT_WORKER_V8_FLAGS).trim();
  const v8Flags = flags === 'none' ? [] : flags.split(/\s+/).filter(Boolean);
  const bad = v8Flags.find((f) => !/^--[a-z0-9-]+(=[\w.]+)?$/.test(f));
  if (bad) throw new AimlError('CONFIG_INVALID', `Invalid AIML_WORKER_V8_FLAGS: "${bad}" is not a V8 flag such as --optimize-for-size (or set "none")`, { variable: 'AIML_WORKER_V8_FLAGS' });
  return { maxCachedWorkflows, v8Flags };
}

/** Sets the V8 flags; call before the worker (and so its workflow thread) is created. */
export function applyV8Flags(flags: string[]): void {
  for (const flag of flags) v8.setFlagsFromString(flag);
}
