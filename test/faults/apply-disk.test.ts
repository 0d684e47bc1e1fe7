import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isAimlError } from '../../src/errors';
import { BlobStore } from '../../src/storage/blob-store';
import { applyChanges, revertEntries, type PlannedChange } from '../../src/workspace/apply';
import { hashOf } from '../../src/workspace/edits';
import { Journal } from '../../src/workspace/journal';
import { tmpDir } from '../support/env';

/**
 * A BUILD step's apply on a disk that is full or read-only: the step fails with a clear error,
 * the workspace is as it was (no half-applied step, no temp files) and the journal holds nothing
 * that a revert would trip over. The workspace is a tiny tmpfs mounted for the test (tests run as
 * root here; root ignores chmod, so a real file system limit is the honest fault). Without the
 * right to mount, a non-root run uses a chmod'd folder instead.
 */

const unmounts: string[] = [];
afterAll(() => {
  for (const dir of unmounts) execFileSync('umount', [dir]);
});

function tryMount(dir: string, sizeKb: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return false;
  }
  unmounts.push(dir);
  return true;
}

/** Every file under `root` with its content: the workspace's whole state. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(root, { recursive: true }) as string[]) {
    const abs = path.join(root, rel);
    if (fs.statSync(abs).isFile()) out[rel] = fs.readFileSync(abs, 'utf8');
  }
  return out;
}

function change(blobs: BlobStore, rel: string, before: string | null, after: string): PlannedChange {
  return { path: rel, beforeHash: hashOf(before), afterHash: hashOf(after), beforeRef: before === null ? null : blobs.putExact(before), afterRef: blobs.putExact(after) };
}

/** A workspace holding README.md, and a step that edits README.md, then creates data/big.txt. */
function setup(sizeKb: number) {
  const root = tmpDir('aiml-fault-ws-');
  const mounted = tryMount(root, sizeKb);
  if (!mounted && process.getuid?.() === 0) throw new Error('cannot mount a tmpfs as root: no way to make a full or read-only disk here');
  fs.writeFileSync(path.join(root, 'README.md'), '# old readme\n');
  fs.mkdirSync(path.join(root, 'data'));
  const state = tmpDir('aiml-fault-state-');
  const blobs = new BlobStore(path.join(state, 'blobs'));
  const journal = new Journal(state, 'build-fault');
  const changes = [change(blobs, 'README.md', '# old readme\n', '# new readme\n'), change(blobs, 'data/big.txt', null, 'x'.repeat(256 * 1024))];
  return { root, mounted, blobs, journal, changes };
}

async function applyFails(s: ReturnType<typeof setup>): Promise<Error> {
  const err = await applyChanges(s.root, s.changes, s.blobs, s.journal, { key: 'step-1/attempt-1', step: 1, attempt: 1, at: new Date().toISOString() }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error('the apply succeeded');
  return err;
}

function expectCleanFailure(s: ReturnType<typeof setup>, err: Error, before: Record<string, string>, failedPath: string, code: RegExp): void {
  expect(isAimlError(err, 'WORKSPACE_WRITE_FAILED')).toBe(true);
  expect(err.message).toContain(`Could not write ${failedPath}`);
  expect(err.message).toContain('the step was rolled back, the workspace is as it was');
  expect(err.message).toMatch(code);
  expect(snapshot(s.root)).toEqual(before); // README.md as it was, no big.txt, no temp files
  // The journal records no applied step, so nothing needs (or tries) undoing.
  const entries = s.journal.read().entries;
  expect(entries).toEqual([]);
  expect(revertEntries(entries, s.blobs).restored).toEqual([]);
}

test('disk full in the middle of a step: the files already written are rolled back, the journal stays empty', async () => {
  const s = setup(64); // 64 KiB: README.md fits, the 256 KiB file does not
  if (!s.mounted) fs.chmodSync(path.join(s.root, 'data'), 0o555); // non-root fallback: the second write is refused
  const before = snapshot(s.root);
  const err = await applyFails(s);
  expectCleanFailure(s, err, before, 'data/big.txt', s.mounted ? /ENOSPC/ : /EACCES/);
});

test('read-only workspace: the step fails cleanly and nothing changes', async () => {
  const s = setup(1024);
  const before = snapshot(s.root);
  if (s.mounted) execFileSync('mount', ['-o', 'remount,ro', s.root]);
  else fs.chmodSync(s.root, 0o555);
  const err = await applyFails(s);
  expectCleanFailure(s, err, before, 'README.md', s.mounted ? /EROFS/ : /EACCES/);
});
