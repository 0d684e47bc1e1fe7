import { AimlError } from '../errors';
import type { BlobStore } from '../storage/blob-store';
import { revertEntries, type RevertResult } from '../workspace/apply';
import { Journal } from '../workspace/journal';

/**
 * Undoes a build run's applied steps from its journal, newest first: all of them, or step N and
 * every later one (later steps build on it). Refuses, changing nothing, when a file was changed
 * since aiml wrote it, unless `force`.
 */
export function revertBuild(stateDir: string, blobs: BlobStore, workflowId: string, opts: { step?: number; force?: boolean } = {}): RevertResult & { steps: number[] } {
  const journal = new Journal(stateDir, workflowId);
  const all = journal.read().entries;
  if (all.length === 0) throw new AimlError('NOTHING_TO_REVERT', `No journal for ${workflowId} in ${journal.file}: the run applied nothing (or ran with another AIML_HOME)`);
  const live = all.filter((e) => !e.revertedAt && (opts.step === undefined || e.step >= opts.step));
  if (live.length === 0) {
    throw new AimlError('NOTHING_TO_REVERT', opts.step === undefined ? `Every step of ${workflowId} is already reverted` : `Nothing applied from step ${opts.step} on is left to revert in ${workflowId}`);
  }
  const result = revertEntries(live, blobs, { force: opts.force });
  journal.markReverted(result.reverted, new Date().toISOString());
  return { ...result, steps: [...new Set(live.map((e) => e.step))].sort((a, b) => b - a) };
}
