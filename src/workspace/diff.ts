import { createTwoFilesPatch } from 'diff';

/** Unified diffs in git's shape (`a/` and `b/` prefixes, /dev/null for created and deleted files). */

export interface DiffInput {
  path: string;
  before: string | null;
  after: string | null;
}

export function unifiedDiff(file: DiffInput, context = 3): string {
  const from = file.before === null ? '/dev/null' : `a/${file.path}`;
  const to = file.after === null ? '/dev/null' : `b/${file.path}`;
  // A bounded search: a pathological pair of large files gets a whole-file hunk instead of
  // blocking the worker (and its heartbeats) for seconds.
  const patch = createTwoFilesPatch(from, to, file.before ?? '', file.after ?? '', undefined, undefined, { context, timeout: 1000 });
  // Drop jsdiff's "Index:"/"====" preamble; keep ---/+++ and hunks.
  const body = patch === undefined ? wholeFileHunk(from, to, file.before ?? '', file.after ?? '') : patch.slice(patch.indexOf('--- '));
  return `diff --git a/${file.path} b/${file.path}\n${file.before === null ? 'new file\n' : file.after === null ? 'deleted file\n' : ''}${body.replace(/\t\n/g, '\n')}`;
}

export function renderDiff(files: DiffInput[]): string {
  return files.map((f) => unifiedDiff(f)).join('');
}

/** Lines added and removed in a rendered diff, for one-line summaries. */
export function diffStat(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++ ')) added++;
    else if (line.startsWith('-') && !line.startsWith('--- ')) removed++;
  }
  return { added, removed };
}

function wholeFileHunk(from: string, to: string, before: string, after: string): string {
  const lines = (t: string): string[] => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
  const a = lines(before);
  const b = lines(after);
  return [`--- ${from}`, `+++ ${to}`, `@@ -${a.length ? 1 : 0},${a.length} +${b.length ? 1 : 0},${b.length} @@`, ...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`), ''].join('\n');
}
