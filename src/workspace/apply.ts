import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import { writeFileAtomic } from '../storage/files';
import type { BlobStore } from '../storage/blob-store';
import { hashOf, readText } from './edits';
import type { Journal, JournalEntry, JournalFile } from './journal';
import { resolveEditPath } from './paths';

/**
 * Applies one step attempt's file changes atomically per file (temp file + rename) and
 * idempotently: each file is written only while its content hash is the expected before-hash,
 * and skipped when it already has the after-hash. A retried apply (say after the worker was
 * killed halfway) therefore finishes the step without applying anything twice. Any other hash is
 * a conflict: someone changed the file, and nothing is written.
 */

export interface PlannedChange {
  path: string;
  beforeHash: string | null;
  afterHash: string | null;
  beforeRef: string | null;
  afterRef: string | null;
}

export interface ApplyResult {
  written: string[];
  alreadyApplied: string[];
}

export interface Conflict {
  path: string;
  expectedHash: string | null;
  actualHash: string | null;
}

export const currentHash = (root: string, rel: string): string | null => {
  const { abs } = resolveEditPath(root, rel);
  const read = readText(abs, Number.MAX_SAFE_INTEGER);
  if (read.problem) return `unreadable:${read.problem.code}`;
  return hashOf(read.text);
};

export function conflictMessage(conflicts: Conflict[]): string {
  return conflicts
    .map((c) => `${c.path}: ${c.actualHash === null ? 'was deleted' : c.expectedHash === null ? 'was created' : 'was changed'} since aiml last saw it`)
    .join('; ');
}

export interface ApplyOptions {
  /** Pause after each written file (fault-injection for crash tests). */
  pauseAfterWriteMs?: number;
}

export async function applyChanges(
  root: string,
  changes: PlannedChange[],
  blobs: BlobStore,
  journal: Journal,
  entry: Omit<JournalEntry, 'files' | 'workspace'>,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const conflicts: Conflict[] = [];
  for (const c of changes) {
    const actual = currentHash(root, c.path);
    if (actual !== c.beforeHash && actual !== c.afterHash) conflicts.push({ path: c.path, expectedHash: c.beforeHash, actualHash: actual });
  }
  if (conflicts.length) {
    throw new AimlError('FILE_CONFLICT', `Not applied: ${conflictMessage(conflicts)}`, { conflicts });
  }
  // Journal first (idempotent upsert), so a crash after any write can still be undone.
  const files: JournalFile[] = changes.map((c) => ({ path: c.path, beforeHash: c.beforeHash, afterHash: c.afterHash, beforeRef: c.beforeRef, afterRef: c.afterRef }));
  journal.upsert({ ...entry, workspace: root, files });
  const result: ApplyResult = { written: [], alreadyApplied: [] };
  for (const c of changes) {
    const { abs } = resolveEditPath(root, c.path);
    if (currentHash(root, c.path) === c.afterHash) {
      result.alreadyApplied.push(c.path);
      continue;
    }
    try {
      if (c.afterRef === null) fs.rmSync(abs, { force: true });
      else writeFileAtomic(abs, blobs.getBuffer(c.afterRef));
    } catch (err) {
      throw writeFailed(root, c.path, err, rollBack(root, changes, blobs, journal, entry.key));
    }
    result.written.push(c.path);
    if (opts.pauseAfterWriteMs) await new Promise((r) => setTimeout(r, opts.pauseAfterWriteMs));
  }
  return result;
}

/**
 * After a failed write (disk full, read-only workspace): puts back every file of the step that
 * no longer has its before-content, and drops the journal entry once the whole step is undone.
 * Returns the paths it could not restore (the entry then stays, so `aiml revert` can finish).
 */
function rollBack(root: string, changes: PlannedChange[], blobs: BlobStore, journal: Journal, key: string): string[] {
  const stuck: string[] = [];
  for (const c of changes) {
    try {
      if (currentHash(root, c.path) === c.beforeHash) continue;
      const { abs } = resolveEditPath(root, c.path);
      if (c.beforeRef === null) fs.rmSync(abs, { force: true });
      else writeFileAtomic(abs, blobs.getBuffer(c.beforeRef));
    } catch {
      stuck.push(c.path);
    }
  }
  if (!stuck.length) journal.remove(key);
  return stuck;
}

function writeFailed(root: string, rel: string, err: unknown, stuck: string[]): AimlError {
  const e = err as NodeJS.ErrnoException;
  const why = e.code ? `${e.code}: ${e.message}` : String(err);
  const after = stuck.length
    ? `could not restore ${stuck.join(', ')}: run \`aiml revert\` once the disk is writable`
    : 'the step was rolled back, the workspace is as it was';
  return new AimlError('WORKSPACE_WRITE_FAILED', `Could not write ${rel} in ${root} (${why}); ${after}`, { path: rel, errno: e.code ?? null, stuck });
}

export interface RevertResult {
  restored: string[];
  alreadyRestored: string[];
  reverted: string[]; // journal keys
}

/**
 * Undoes journal entries newest first. Refuses (changing nothing) when a file no longer has the
 * content the journal left there, unless `force`.
 */
export function revertEntries(entries: JournalEntry[], blobs: BlobStore, opts: { force?: boolean } = {}): RevertResult {
  const ordered = [...entries].sort((a, b) => b.step - a.step || b.attempt - a.attempt);
  // The state each file must be in now: the after-hash of its newest entry.
  const expected = new Map<string, { root: string; hash: string | null }>();
  for (const e of ordered) for (const f of e.files) if (!expected.has(`${e.workspace}\0${f.path}`)) expected.set(`${e.workspace}\0${f.path}`, { root: e.workspace, hash: f.afterHash });
  if (!opts.force) {
    const changed: string[] = [];
    for (const [key, want] of expected) {
      const rel = key.split('\0')[1]!;
      const actual = currentHash(want.root, rel);
      const oldest = ordered.filter((e) => e.workspace === want.root).flatMap((e) => e.files.filter((f) => f.path === rel)).pop();
      if (actual !== want.hash && actual !== oldest?.beforeHash) changed.push(rel);
    }
    if (changed.length) {
      throw new AimlError('REVERT_REFUSED', `Refusing to revert: changed since aiml applied it: ${changed.join(', ')} (use --force to overwrite)`, { changed });
    }
  }
  const result: RevertResult = { restored: [], alreadyRestored: [], reverted: [] };
  for (const e of ordered) {
    for (const f of e.files) {
      const { abs } = resolveEditPath(e.workspace, f.path);
      if (currentHash(e.workspace, f.path) === f.beforeHash) {
        if (!result.restored.includes(f.path)) result.alreadyRestored.push(f.path);
        continue;
      }
      if (f.beforeRef === null) removeWithEmptyParents(e.workspace, abs);
      else writeFileAtomic(abs, blobs.getBuffer(f.beforeRef));
      if (!result.restored.includes(f.path)) result.restored.push(f.path);
    }
    result.reverted.push(e.key);
  }
  result.alreadyRestored = result.alreadyRestored.filter((p) => !result.restored.includes(p));
  return result;
}

/** Deletes a file the build created, and the folders it leaves empty (never the workspace itself). */
function removeWithEmptyParents(root: string, abs: string): void {
  fs.rmSync(abs, { force: true });
  const top = fs.realpathSync(root);
  for (let dir = path.dirname(abs); dir.startsWith(top + path.sep); dir = path.dirname(dir)) {
    try {
      fs.rmdirSync(dir);
    } catch {
      return; // not empty
    }
  }
}
