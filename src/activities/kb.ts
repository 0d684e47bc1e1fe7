import { Context, log } from '@temporalio/activity';
import type { IngestPlanSummary } from '../contracts/kb';
import { AimlError } from '../errors';
import { mergeRedactionSummaries } from '../contracts/security';
import { checkKbRoot, type IndexReport } from '../rag/knowledge-base';
import { checkModelChoice, type KbRegistry } from '../rag/registry';
import { scanDirectory } from '../rag/walker';
import type { ActivityDeps } from './deps';
import { toFailure } from './failures';

export interface KbPlanInput {
  kb: string;
  dir?: string;
  batchFiles: number;
  /** See IngestInput.adopt. */
  adopt?: boolean;
  /** See IngestInput.model. */
  model?: string;
}

export interface KbPlanOutput extends IngestPlanSummary {
  planRef: string;
}

export interface KbBatchInput {
  kb: string;
  planRef: string;
  batch: number;
  batchFiles: number;
}

/** What the plan blob holds: paths, hashes and sizes only, never file contents. */
interface Plan {
  root: string;
  /** `bytes`: absent from plans written before it was recorded. */
  toIndex: { path: string; hash: string; bytes?: number }[];
  toDelete: string[];
}

/** A batch's report, with the bytes of its planned files (absent for plans without sizes). */
export type BatchReport = IndexReport & { bytes?: number };

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` with a heartbeat every few seconds that always carries the latest progress, so a
 * retry after a crash resumes from it; failures are mapped onto the retry policy.
 */
async function withProgress<T, P>(fn: (ctx: { signal: AbortSignal; resumeFrom?: P; report(p: P): void }) => Promise<T>): Promise<T> {
  const ctx = currentContext();
  let latest = ctx?.info.heartbeatDetails as P | undefined;
  const beat = (): void => ctx?.heartbeat(latest);
  const timer = ctx ? setInterval(beat, 3000) : undefined;
  try {
    return await fn({
      signal: ctx?.cancellationSignal ?? new AbortController().signal,
      resumeFrom: latest,
      report(p) {
        latest = p;
        beat();
      },
    });
  } catch (err) {
    throw toFailure(err);
  } finally {
    if (timer) clearInterval(timer);
  }
}

function registry(deps: ActivityDeps): KbRegistry {
  if (!deps.kbs) throw new AimlError('KB_UNAVAILABLE', 'This worker has no knowledge-base support configured');
  return deps.kbs;
}

export function kbActivities(deps: ActivityDeps) {
  // Batches of one sync read the same plan: parse it once per worker, not once per batch.
  let lastPlan: { ref: string; plan: Plan } | undefined;
  const readPlan = (ref: string): Plan => {
    if (lastPlan?.ref !== ref) lastPlan = { ref, plan: JSON.parse(deps.blobs.get(ref)) as Plan };
    return lastPlan.plan;
  };

  return {
    /** Scans the folder and compares it with the manifest: what to (re)index, what to remove. */
    async kbPlan(input: KbPlanInput): Promise<KbPlanOutput> {
      return withProgress<KbPlanOutput, { scanned: number }>(async ({ report }) => {
        const kbs = registry(deps);
        const existing = kbs.exists(input.kb) ? await kbs.get(input.kb) : undefined;
        const root = input.dir ?? existing?.settings.root;
        if (!root) throw new AimlError('KB_NOT_FOUND', `Knowledge base "${input.kb}" does not exist; give a directory to create it`);
        if (existing) checkModelChoice(existing.settings, input.model);
        if (existing) checkKbRoot(input.kb, existing.settings.root, root);
        const scan = scanDirectory(root, { onProgress: (scanned) => report({ scanned }) });
        const kb = existing ?? (await kbs.get(input.kb, { root, adopt: input.adopt, model: input.model }));
        const seen = new Set<string>();
        const plan: Plan = { root: kb.settings.root, toIndex: [], toDelete: [] };
        let unchanged = 0;
        for (const f of scan.files) {
          seen.add(f.path);
          if (kb.manifest.get(f.path)?.hash === f.hash) unchanged += 1;
          else plan.toIndex.push({ path: f.path, hash: f.hash, bytes: f.bytes });
        }
        for (const p of kb.manifest.keys()) if (!seen.has(p)) plan.toDelete.push(p);
        log.info('kb plan', { kb: input.kb, toIndex: plan.toIndex.length, toDelete: plan.toDelete.length, unchanged });
        return {
          planRef: deps.blobs.put(JSON.stringify(plan)),
          root: plan.root,
          toIndex: plan.toIndex.length,
          toDelete: plan.toDelete.length,
          unchanged,
          batches: Math.ceil(plan.toIndex.length / input.batchFiles),
          bytesToIndex: plan.toIndex.reduce((n, f) => n + (f.bytes ?? 0), 0),
          skipped: scan.skipped,
          unreadablePaths: scan.unreadablePaths.slice(0, 20),
        };
      });
    },

    /** Indexes one batch of the plan's files, a few at a time, heartbeating how far it got. */
    async kbIndexBatch(input: KbBatchInput): Promise<BatchReport> {
      return withProgress<BatchReport, { done: number; report: IndexReport }>(async ({ signal, resumeFrom, report }) => {
        const kb = await registry(deps).get(input.kb);
        const files = readPlan(input.planRef).toIndex.slice(input.batch * input.batchFiles, (input.batch + 1) * input.batchFiles);
        const total: IndexReport = resumeFrom?.report ?? { files: 0, chunks: 0, embedded: 0, cached: 0, unchangedChunks: 0 };
        if (resumeFrom) log.info('resuming a batch after a retry', { batch: input.batch, done: resumeFrom.done });
        for (let done = resumeFrom?.done ?? 0; done < files.length; ) {
          const step = files.slice(done, done + 4);
          const { redactions, ...counts } = await kb.indexFiles(step, signal);
          for (const key of Object.keys(counts) as (keyof typeof counts)[]) total[key] += counts[key];
          const merged = mergeRedactionSummaries(total.redactions, redactions);
          if (merged) total.redactions = merged;
          done += step.length;
          report({ done, report: total });
          // Crash tests only: hold the batch open so a worker can be killed while it is in flight.
          if (deps.faults?.indexPauseMs) await new Promise((r) => setTimeout(r, deps.faults!.indexPauseMs));
        }
        return files.every((f) => f.bytes !== undefined) ? { ...total, bytes: files.reduce((n, f) => n + f.bytes!, 0) } : total;
      });
    },

    /** Removes the chunks of files that are gone from the folder. */
    async kbRemoveDeleted(input: { kb: string; planRef: string }): Promise<{ files: number; chunks: number }> {
      return withProgress(async () => {
        const kb = await registry(deps).get(input.kb);
        const gone = readPlan(input.planRef).toDelete;
        return { files: gone.length, chunks: await kb.removeFiles(gone) };
      });
    },
  };
}
