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
  const patch = createTwoFilesPatch(from, to, file.before ?? '', file.after ?? '', undefined, undefined, { context });
  // Drop jsdiff's "Index:"/"====" preamble; keep ---/+++ and hunks.
  const body = patch.slice(patch.indexOf('--- '));
  return `diff --git a/${file.path} b/${file.path}\n${file.before === null ? 'new file\n' : file.after === null ? 'deleted file\n' : ''}${body.replace(/\t\n/g, '\n')}`;
}

export function renderDiff(files: DiffInput[]): string {
  return files.map((f) => unifiedDiff(f)).join('');
}

/** Lines added and removed, for one-line summaries. */
export function diffStat(files: DiffInput[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const f of files) {
    for (const line of unifiedDiff(f).split('\n')) {
      if (line.startsWith('+') && !line.startsWith('+++')) added++;
      else if (line.startsWith('-') && !line.startsWith('---')) removed++;
    }
  }
  return { added, removed };
}
