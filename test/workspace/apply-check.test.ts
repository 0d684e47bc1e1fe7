import fs from 'node:fs';
import path from 'node:path';
import { BlobStore } from '../../src/storage/blob-store';
import { applyChanges, revertEntries, type PlannedChange } from '../../src/workspace/apply';
import { detectCheckCommand, runCheck, truncateMiddle } from '../../src/workspace/check';
import { sandboxEnv } from '../../src/workspace/sandbox';
import { diffStat, renderDiff } from '../../src/workspace/diff';
import { hashOf, prepareEdits } from '../../src/workspace/edits';
import { Journal } from '../../src/workspace/journal';
import { tmpDir } from '../support/env';

function setup() {
  const ws = tmpDir('aiml-ws-');
  fs.writeFileSync(path.join(ws, 'a.txt'), 'one\ntwo\n');
  const state = tmpDir('aiml-state-');
  const blobs = new BlobStore(path.join(state, 'blobs'));
  const journal = new Journal(state, 'build-test/1');
  const changes = (): PlannedChange[] =>
    prepareEdits(ws, [
      { path: 'a.txt', action: 'patch', blocks: [{ search: 'two', replace: 'TWO' }] },
      { path: 'dir/b.txt', action: 'write', content: 'new\n' },
    ]).files.map((f) => ({ path: f.path, beforeHash: f.beforeHash, afterHash: f.afterHash, beforeRef: f.before === null ? null : blobs.put(f.before), afterRef: f.after === null ? null : blobs.put(f.after) }));
  return { ws, blobs, journal, changes };
}

const entry = { key: 'step-1/attempt-1', step: 1, attempt: 1, at: '2026-01-01T00:00:00Z' };

test('apply is idempotent: a second apply writes nothing and journals once; revert restores and removes created folders', async () => {
  const { ws, blobs, journal, changes } = setup();
  const planned = changes();
  const first = await applyChanges(ws, planned, blobs, journal, entry);
  expect(first).toEqual({ written: ['a.txt', 'dir/b.txt'], alreadyApplied: [] });
  const again = await applyChanges(ws, planned, blobs, journal, entry);
  expect(again).toEqual({ written: [], alreadyApplied: ['a.txt', 'dir/b.txt'] });
  expect(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8')).toBe('one\nTWO\n');
  expect(journal.read().entries).toHaveLength(1);

  const res = revertEntries(journal.read().entries, blobs);
  expect(res.restored.sort()).toEqual(['a.txt', 'dir/b.txt']);
  expect(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8')).toBe('one\ntwo\n');
  expect(fs.readdirSync(ws)).toEqual(['a.txt']);
});

test('a file changed after the proposal is a conflict: nothing is written; revert refuses a later user edit unless forced', async () => {
  const { ws, blobs, journal, changes } = setup();
  const planned = changes();
  fs.writeFileSync(path.join(ws, 'a.txt'), 'one\ntwo\nmine\n');
  await expect(applyChanges(ws, planned, blobs, journal, entry)).rejects.toMatchObject({ code: 'FILE_CONFLICT', message: expect.stringMatching(/a\.txt: was changed since aiml last saw it/) });
  expect(fs.existsSync(path.join(ws, 'dir'))).toBe(false);
  expect(journal.read().entries).toEqual([]);

  const fresh = changes();
  await applyChanges(ws, fresh, blobs, journal, entry);
  fs.appendFileSync(path.join(ws, 'dir/b.txt'), 'user line\n');
  expect(() => revertEntries(journal.read().entries, blobs)).toThrow(/Refusing to revert: changed since aiml applied it: dir\/b\.txt/);
  expect(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8')).toBe('one\nTWO\nmine\n');
  revertEntries(journal.read().entries, blobs, { force: true });
  expect(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8')).toBe('one\ntwo\nmine\n');
  expect(fs.existsSync(path.join(ws, 'dir/b.txt'))).toBe(false);
});

test('unified diffs in git shape', () => {
  const diff = renderDiff([
    { path: 'a.txt', before: 'one\ntwo\n', after: 'one\nTWO\n' },
    { path: 'n.txt', before: null, after: 'hi\n' },
  ]);
  expect(diff).toContain('diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n');
  expect(diff).toContain('new file\n--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,1 @@\n+hi\n');
  expect(diffStat(diff)).toEqual({ added: 2, removed: 1 });
});

test('the check runs with credentials scrubbed, is killed at its timeout, and its output can be cut to head and tail', async () => {
  const ws = tmpDir('aiml-ws-');
  process.env.AIML_TEST_SECRET_TOKEN = 'should-not-leak';
  process.env.OPENAI_API_KEY_FOR_TEST = 'sk-should-not-leak';
  try {
    const ok = await runCheck({ workspace: ws, command: 'env; echo done', timeoutMs: 10_000 });
    expect(ok.passed).toBe(true);
    expect(ok.output).toContain('done');
    expect(ok.output).not.toContain('should-not-leak');
    expect(sandboxEnv({ PATH: '/bin', GITHUB_TOKEN: 'x', MY_PASSWORD: 'y' })).toEqual({ PATH: '/bin', CI: '1' });
  } finally {
    delete process.env.AIML_TEST_SECRET_TOKEN;
    delete process.env.OPENAI_API_KEY_FOR_TEST;
  }
  const slow = await runCheck({ workspace: ws, command: 'echo started; sleep 30', timeoutMs: 300 });
  expect(slow).toMatchObject({ passed: false, timedOut: true });
  expect(slow.output).toMatch(/started\n[\s\S]*timed out after 300 ms/);
  const failing = await runCheck({ workspace: ws, command: 'echo boom >&2; exit 3', timeoutMs: 10_000 });
  expect(failing).toMatchObject({ passed: false, exitCode: 3, timedOut: false, output: 'boom\n' });
  const big = await runCheck({ workspace: ws, command: 'yes line | head -n 100000', timeoutMs: 10_000, maxOutputBytes: 1000 });
  expect(big.truncated).toBe(true);
  // head and tail kept: 300 bytes of the start, 700 of the end, the middle counted
  expect(big.output).toMatch(/^(line\n){60}\n… \[499000 bytes cut\] …\n(line\n){140}$/);
  const cut = truncateMiddle('a'.repeat(50) + 'b'.repeat(50), 40);
  expect(cut).toMatch(/^a{12}\n… \[60 characters cut\] …\nb{28}$/);
});

test('check command detection', () => {
  const ws = tmpDir('aiml-ws-');
  expect(detectCheckCommand(ws)).toBeUndefined();
  fs.writeFileSync(path.join(ws, 'package.json'), JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }));
  expect(detectCheckCommand(ws)).toBeUndefined();
  fs.writeFileSync(path.join(ws, 'package.json'), JSON.stringify({ scripts: { test: 'jest' } }));
  expect(detectCheckCommand(ws)).toBe('npm test --silent');
  expect(hashOf(null)).toBeNull();
});
