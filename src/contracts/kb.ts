import { defineQuery } from '@temporalio/workflow';

/** Knowledge-base sync (`ingest` workflow): one run per knowledge base at a time. */
export interface IngestInput {
  kb: string;
  /** The folder to index; needed when the knowledge base is new, else its recorded root. */
  dir?: string;
  /**
   * Take over a knowledge base that is in the shared Qdrant but not on this host (indexed by
   * another host, or by this one before its state folder was lost): its collection is emptied and
   * rebuilt from `dir`. Without it such a knowledge base is refused, never mixed with this folder.
   */
  adopt?: boolean;
  /**
   * A local embedding model's name (all-minilm-l6-v2-q, bge-small-en-v1.5-q, minilm-static) for a
   * new knowledge base; the worker's configured model when absent. An existing one keeps its own.
   */
  model?: string;
  /** Files per indexing activity (default 32). */
  batchFiles?: number;
  /** Batches per workflow run before it continues as new (default 200; small values exercise the hand-over). */
  batchesPerRun?: number;
  /** Carried across continue-as-new; not for callers. */
  resume?: { planRef: string; plan: IngestPlanSummary; nextBatch: number; progress: IngestProgress };
}

export interface IngestPlanSummary {
  root: string;
  toIndex: number;
  toDelete: number;
  unchanged: number;
  batches: number;
  /** Bytes of the files to index (absent from runs planned before it was counted). */
  bytesToIndex?: number;
  /** `generated`: lockfiles, minified bundles, source maps (absent from runs before it was counted). */
  skipped: { binary: number; oversized: number; unreadable: number; ignored: number; generated?: number };
  unreadablePaths: string[];
}

export interface IngestProgress {
  phase: 'scanning' | 'indexing' | 'removing' | 'done';
  kb: string;
  root?: string;
  batches: number;
  batchesDone: number;
  filesToIndex: number;
  filesIndexed: number;
  /** Bytes of the files to index, and of those indexed so far: the pace `kb add` estimates the time left by (absent from runs planned before they were counted). */
  bytesToIndex?: number;
  bytesIndexed?: number;
  filesUnchanged: number;
  filesRemoved: number;
  chunksIndexed: number;
  chunksEmbedded: number;
  chunksCached: number;
  /** Credentials removed from indexed files before chunking (the batches' results say which rules, where). */
  secretsRedacted?: number;
  chunksRemoved: number;
  skipped: IngestPlanSummary['skipped'];
  /** The first unreadable paths, so a person can fix their permissions. */
  unreadablePaths?: string[];
}

export type IngestResult = IngestProgress;

export const ingestProgressQuery = defineQuery<IngestProgress>('ingestProgress');

/** The workflow id of a knowledge base's sync: one at a time per knowledge base. */
export function ingestWorkflowId(kb: string): string {
  return `kb-ingest-${kb}`;
}
