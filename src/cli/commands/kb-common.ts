import path from 'node:path';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { ingestProgressQuery, ingestWorkflowId, type IngestInput, type IngestProgress } from '../../contracts';
import { AimlError, toErrorCode } from '../../errors';
import type { KbRegistry } from '../../rag/registry';
import { warnIfNoWorker } from '../start-run';
import type { CliContext } from '../context';

/** `--kb`, or the only knowledge base there is. */
export function resolveKbName(reg: KbRegistry, name: string | undefined): string {
  if (name) {
    // With Qdrant, another host's knowledge base may be there: opening it says if it is not.
    if (!reg.exists(name) && !reg.sharesStore) throw new AimlError('KB_NOT_FOUND', `Knowledge base "${name}" does not exist (create it with: aiml kb add <dir> --kb ${name})`);
    return name;
  }
  const all = reg.list();
  if (all.length === 1) return all[0]!.name;
  if (!all.length) throw new AimlError('KB_NOT_FOUND', 'There is no knowledge base yet: create one with aiml kb add <dir>');
  throw new AimlError('USAGE', `Several knowledge bases exist (${all.map((k) => k.name).join(', ')}): choose one with --kb`);
}

/** A knowledge-base name from a folder name: its base name, with anything unusual made a dash. */
export function defaultKbName(dir: string): string {
  const base = path.basename(path.resolve(dir)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return base.slice(0, 64) || 'default';
}

function bar(p: IngestProgress, left = '', width = 24): string {
  const total = Math.max(p.batches, 1);
  const filled = Math.round((p.batchesDone / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.filesIndexed}/${p.filesToIndex} files, ${p.chunksIndexed} chunks (${p.phase}${left})`;
}

/** A first sync with longer than this left at its pace says that a faster local model exists. */
const SUGGEST_FAST_MS = 10 * 60_000;

/** What a long first sync says: the faster local model, and how to switch to it. */
export function suggestFast(input: IngestInput, afterMs: number): string {
  return (
    `aiml: this first sync has over ${Math.round(afterMs / 60_000)} minutes to go. For a folder this big, --model minilm-static (the default model) embeds about 10x as fast; its searches are refined by MiniLM (README: AIML_LOCAL_EMBED_MODEL). ` +
    `To switch: aiml cancel ${ingestWorkflowId(input.kb)} && aiml kb rm ${input.kb} && aiml kb add ${input.dir ?? '<dir>'} --kb ${input.kb} --model minilm-static`
  );
}

/** How far a sync has got: in bytes where it counts them (big files weigh what they cost), else in files. */
function measure(p: IngestProgress): { done: number; total: number } {
  return p.bytesToIndex !== undefined && p.bytesIndexed !== undefined ? { done: p.bytesIndexed, total: p.bytesToIndex } : { done: p.filesIndexed, total: p.filesToIndex };
}

/** How long a sync seen indexing since `since` has left at its pace so far, once that pace is worth trusting. */
export class IngestPace {
  private since?: { at: number; done: number };

  /** How long this CLI has watched the sync index (0 before it saw it indexing). */
  watchedMs(now = Date.now()): number {
    return this.since ? now - this.since.at : 0;
  }

  /** Milliseconds left at the pace so far, or undefined (not indexing, or too early to tell). */
  remainingMs(p: IngestProgress, now = Date.now()): number | undefined {
    if (p.phase !== 'indexing') return undefined;
    const m = measure(p);
    this.since ??= { at: now, done: m.done }; // a joined sync: its pace from when this CLI saw it
    const done = m.done - this.since.done;
    const elapsed = now - this.since.at;
    if (done < 1 || elapsed < 5000) return undefined;
    return (elapsed / done) * Math.max(0, m.total - m.done);
  }

  /** `, about 4 min left`, or '' (not indexing, too early to tell, or under half a minute left). */
  left(p: IngestProgress, now = Date.now()): string {
    const ms = this.remainingMs(p, now);
    if (ms === undefined || ms < 30_000) return '';
    return ms < 90 * 60_000 ? `, about ${Math.round(ms / 60_000) || 1} min left` : `, about ${(ms / 3_600_000).toFixed(1)} h left`;
  }
}

/**
 * Starts (or joins) the knowledge base's sync and follows it with a progress bar on stderr
 * until it ends. A failed sync becomes one clear error line: the root cause's message.
 */
export async function runIngest(ctx: CliContext, input: IngestInput, opts: { quiet: boolean; /** A new knowledge base on a transformer model: a long first sync says a faster model exists. */ suggestFast?: boolean }): Promise<IngestProgress> {
  const aiml = await ctx.aiml();
  // A sync already running for this knowledge base is joined.
  const handle = await aiml.start('ingest', ingestWorkflowId(input.kb), input, { joinExisting: true });
  // The sync runs on this host's queue: the folder and the embedded store are here.
  await warnIfNoWorker(ctx, aiml, 'the sync');
  const tty = !opts.quiet && process.stderr.isTTY;
  let last = '';
  const pace = new IngestPace();
  let suggest = !!opts.suggestFast && !opts.quiet;
  const poll = setInterval(() => {
    handle
      .query(ingestProgressQuery)
      .then((p) => {
        // After half a minute: the first batches' pace is a poor guide.
        if (suggest && pace.watchedMs() >= 30_000 && (pace.remainingMs(p) ?? 0) > SUGGEST_FAST_MS) {
          suggest = false;
          ctx.err(`${tty ? '\n' : ''}${suggestFast(input, SUGGEST_FAST_MS)}`);
        }
        const line = bar(p, pace.left(p));
        if (opts.quiet || line === last) return;
        last = line;
        if (tty) process.stderr.write(`\r${line}`);
        else ctx.err(line);
      })
      .catch(() => {});
  }, 500);
  try {
    const result = (await handle.result()) as IngestProgress;
    if (tty) process.stderr.write(`\r${bar(result)}\n`);
    return result;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) {
      throw new AimlError('CANCELLED', `The sync of "${input.kb}" was cancelled; what it indexed stays, and the next sync goes on from there`);
    }
    if (err instanceof WorkflowFailedError) {
      let cause: unknown = err.cause;
      while ((cause as { cause?: unknown })?.cause) cause = (cause as { cause: unknown }).cause;
      const c = cause as { type?: string; message?: string } | undefined;
      throw new AimlError(toErrorCode(c?.type, 'KB_SYNC_FAILED'), `Sync of "${input.kb}" failed: ${c?.message ?? err.message}`);
    }
    throw err;
  } finally {
    clearInterval(poll);
  }
}

export function summary(p: IngestProgress): string {
  const s = p.skipped;
  return (
    `${p.kb}: ${p.filesIndexed} files indexed (${p.chunksIndexed} chunks, ${p.chunksEmbedded} embedded, ${p.chunksCached} from cache), ` +
    `${p.filesUnchanged} unchanged, ${p.filesRemoved} removed; skipped ${s.binary} binary, ${s.oversized} oversized, ${s.unreadable} unreadable, ${s.generated ?? 0} generated (lockfiles, minified)` +
    (p.unreadablePaths?.length ? ` (${p.unreadablePaths.join(', ')})` : '')
  );
}
