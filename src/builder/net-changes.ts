import type { BlobStore } from '../storage/blob-store';
import type { DiffInput } from '../workspace/diff';
import type { JournalEntry } from '../workspace/journal';

/**
 * The net change per file across journal entries, oldest before-content to newest after-content;
 * files that ended as they began are left out. Reverted entries are skipped.
 */
export function netChanges(entries: JournalEntry[], blobs: BlobStore): DiffInput[] {
  const net = new Map<string, { beforeRef: string | null; beforeHash: string | null; afterRef: string | null; afterHash: string | null }>();
  const live = entries.filter((e) => !e.revertedAt).sort((a, b) => a.step - b.step || a.attempt - b.attempt);
  for (const e of live) {
    for (const f of e.files) {
      const had = net.get(f.path);
      net.set(f.path, { beforeRef: had ? had.beforeRef : f.beforeRef, beforeHash: had ? had.beforeHash : f.beforeHash, afterRef: f.afterRef, afterHash: f.afterHash });
    }
  }
  return [...net]
    .filter(([, c]) => c.beforeHash !== c.afterHash)
    .map(([p, c]) => ({ path: p, before: c.beforeRef ? blobs.get(c.beforeRef) : null, after: c.afterRef ? blobs.get(c.afterRef) : null }));
}
