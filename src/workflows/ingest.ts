import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import { parseIngestInput } from '../contracts/parse-inputs';
import { validInput } from './boundary';
import { ingestProgressQuery, type IngestInput, type IngestProgress, type IngestResult } from '../contracts/kb';

/** Scanning and removal: local file work, a few retries. */
const SCANNING: wf.ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
};

/** Embedding batches: long, heartbeating; a crashed worker's batch resumes from its heartbeat. */
const INDEXING: wf.ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '20 seconds', // the model runs off the event loop, so beats keep coming while it computes
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
};

const scanning = wf.proxyActivities<Activities>(SCANNING);
const indexing = wf.proxyActivities<Activities>(INDEXING);

/** Batches per run before continue-as-new (input `batchesPerRun` overrides), so a huge folder keeps the history small. */
const BATCHES_PER_RUN = 200;

function emptyProgress(kb: string): IngestProgress {
  return {
    phase: 'scanning', kb, batches: 0, batchesDone: 0, filesToIndex: 0, filesIndexed: 0, filesUnchanged: 0, filesRemoved: 0,
    chunksIndexed: 0, chunksEmbedded: 0, chunksCached: 0, chunksRemoved: 0, skipped: { binary: 0, oversized: 0, unreadable: 0, ignored: 0 },
  };
}

/**
 * Syncs a knowledge base with its folder: scan and compare by file hash → index new and
 * changed files in batches (embedding only chunks not already stored) → remove deleted
 * files' chunks. Only counts and a plan reference enter history, never file contents.
 */
export async function ingest(raw: IngestInput): Promise<IngestResult> {
  const input = validInput(parseIngestInput(raw));
  const batchFiles = input.batchFiles ?? 32;
  const batchesPerRun = input.batchesPerRun ?? BATCHES_PER_RUN;
  const progress: IngestProgress = input.resume?.progress ?? emptyProgress(input.kb);
  wf.setHandler(ingestProgressQuery, () => progress, { description: 'How far the sync has got: batches, files and chunks' });

  let plan = input.resume?.plan;
  let planRef = input.resume?.planRef;
  if (!plan || !planRef) {
    wf.setCurrentDetails(`Scanning ${input.dir ?? 'the knowledge base folder'} for "${input.kb}"`);
    const out = await scanning.kbPlan.executeWithOptions(
      { ...SCANNING, summary: `scan ${input.dir ?? input.kb}` },
      [{ kb: input.kb, dir: input.dir, batchFiles, ...(input.adopt ? { adopt: true } : {}), ...(input.model ? { model: input.model } : {}) }],
    );
    const { planRef: ref, ...summary } = out;
    plan = summary;
    planRef = ref;
    Object.assign(progress, { phase: 'indexing', root: plan.root, batches: plan.batches, filesToIndex: plan.toIndex, filesUnchanged: plan.unchanged, skipped: plan.skipped });
    if (plan.bytesToIndex !== undefined) Object.assign(progress, { bytesToIndex: plan.bytesToIndex, bytesIndexed: 0 });
    if (plan.unreadablePaths.length) progress.unreadablePaths = plan.unreadablePaths;
    wf.log.info('ingest plan', { kb: input.kb, toIndex: plan.toIndex, toDelete: plan.toDelete, unchanged: plan.unchanged });
  }

  const first = input.resume?.nextBatch ?? 0;
  for (let b = first; b < plan.batches; b++) {
    if (b - first >= batchesPerRun) {
      await wf.continueAsNew<typeof ingest>({ ...input, resume: { planRef, plan, nextBatch: b, progress } });
    }
    wf.setCurrentDetails(`Indexing batch ${b + 1} of ${plan.batches} (${progress.filesIndexed}/${plan.toIndex} files)`);
    const r = await indexing.kbIndexBatch.executeWithOptions({ ...INDEXING, summary: `index batch ${b + 1}/${plan.batches}` }, [
      { kb: input.kb, planRef, batch: b, batchFiles },
    ]);
    progress.batchesDone = b + 1;
    progress.filesIndexed += r.files;
    if (progress.bytesIndexed !== undefined) progress.bytesIndexed += r.bytes ?? 0;
    progress.chunksIndexed += r.chunks;
    progress.chunksEmbedded += r.embedded;
    progress.chunksCached += r.cached;
    if (r.redactions) progress.secretsRedacted = (progress.secretsRedacted ?? 0) + r.redactions.count;
  }

  if (plan.toDelete > 0) {
    progress.phase = 'removing';
    wf.setCurrentDetails(`Removing ${plan.toDelete} deleted files from "${input.kb}"`);
    const removed = await scanning.kbRemoveDeleted.executeWithOptions({ ...SCANNING, summary: `remove ${plan.toDelete} deleted files` }, [
      { kb: input.kb, planRef },
    ]);
    progress.filesRemoved = removed.files;
    progress.chunksRemoved = removed.chunks;
  }
  progress.phase = 'done';
  wf.setCurrentDetails(`Synced: ${progress.filesIndexed} files indexed, ${progress.filesUnchanged} unchanged, ${progress.filesRemoved} removed`);
  return progress;
}
