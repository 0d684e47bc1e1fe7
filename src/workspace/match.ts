/**
 * Search/replace blocks. A block applies where its search text occurs exactly once; failing an
 * exact match, a whitespace-tolerant second try compares lines with indentation and runs of
 * spaces ignored (and re-indents the replacement to the file's indentation). A block that
 * matches nowhere or in several places is refused with the nearest lines, so the model can fix it.
 */

export interface SearchReplace {
  search: string;
  replace: string;
}

export type BlockOutcome =
  | { ok: true; content: string; mode: 'exact' | 'whitespace'; line: number }
  | { ok: false; reason: 'no_match' | 'ambiguous' | 'empty_search'; message: string };

const norm = (line: string): string => line.trim().replace(/\s+/g, ' ');

function lineNumberAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function allIndexes(hay: string, needle: string): number[] {
  const out: number[] = [];
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) out.push(i);
  return out;
}

function trimBlankEdges(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && !lines[a]!.trim()) a++;
  while (b > a && !lines[b - 1]!.trim()) b--;
  return lines.slice(a, b);
}

const indentOf = (line: string): string => /^\s*/.exec(line)![0];

/** The window of `fileLines` most like `want` (by equal normalised lines), as a quoted excerpt. */
export function nearestLines(fileLines: string[], want: string[]): string {
  if (fileLines.length === 0) return 'the file is empty';
  const target = want.map(norm);
  let best = { at: 0, score: -1 };
  for (let i = 0; i < fileLines.length; i++) {
    let score = 0;
    for (let j = 0; j < target.length && i + j < fileLines.length; j++) {
      const have = norm(fileLines[i + j]!);
      if (have === target[j]) score += 2;
      else if (have && target[j] && (have.includes(target[j]!) || target[j]!.includes(have))) score += 1;
    }
    if (score > best.score) best = { at: i, score };
  }
  const from = best.at;
  const to = Math.min(fileLines.length, from + Math.max(want.length, 1) + 1);
  const excerpt = fileLines
    .slice(from, to)
    .map((l, k) => `${String(from + k + 1).padStart(5)} | ${l}`)
    .join('\n');
  return `nearest lines (${from + 1}-${to}):\n${excerpt}${howTheyDiffer(fileLines, want, from)}`;
}

const clip = (s: string): string => (s.length > 120 ? `${s.slice(0, 117)}…` : s);

/** Line by line, how the searched lines differ from the file's lines at `from`. */
function howTheyDiffer(fileLines: string[], want: string[], from: number): string {
  const notes: string[] = [];
  for (let j = 0; j < want.length && notes.length < 8; j++) {
    const have = fileLines[from + j];
    const n = from + j + 1;
    if (have === undefined) notes.push(`- your line ${j + 1} (\`${clip(want[j]!.trim())}\`) runs past the end of the file`);
    else if (have === want[j]) continue;
    else if (norm(have) === norm(want[j]!)) notes.push(`- line ${n}: differs only in whitespace`);
    else notes.push(`- line ${n}: you have \`${clip(want[j]!.trim())}\`, the file has \`${clip(have.trim())}\``);
  }
  return notes.length ? `\nhow your search text differs from these lines:\n${notes.join('\n')}` : '';
}

export function applyBlock(content: string, block: SearchReplace): BlockOutcome {
  if (!block.search.trim()) {
    return { ok: false, reason: 'empty_search', message: 'the search text is empty; give whole-file content to create or rewrite a file' };
  }
  const exact = allIndexes(content, block.search);
  if (exact.length === 1) {
    const at = exact[0]!;
    return { ok: true, mode: 'exact', line: lineNumberAt(content, at), content: content.slice(0, at) + block.replace + content.slice(at + block.search.length) };
  }
  if (exact.length > 1) {
    const lines = exact.map((i) => lineNumberAt(content, i));
    return { ok: false, reason: 'ambiguous', message: `the search text occurs ${exact.length} times (lines ${lines.join(', ')}); include more surrounding lines so it matches once` };
  }
  const fileLines = content.split('\n');
  const want = trimBlankEdges(block.search.split('\n'));
  const target = want.map(norm);
  const hits: number[] = [];
  for (let i = 0; i + target.length <= fileLines.length; i++) {
    let j = 0;
    while (j < target.length && norm(fileLines[i + j]!) === target[j]) j++;
    if (j === target.length) hits.push(i);
  }
  if (hits.length > 1) {
    return {
      ok: false,
      reason: 'ambiguous',
      message: `ignoring whitespace, the search text matches ${hits.length} places (lines ${hits.map((h) => h + 1).join(', ')}); include more surrounding lines so it matches once`,
    };
  }
  if (hits.length === 0) {
    return { ok: false, reason: 'no_match', message: `the search text matches nowhere, even ignoring whitespace; ${nearestLines(fileLines, want)}` };
  }
  const at = hits[0]!;
  const fileIndent = indentOf(fileLines[at]!);
  const searchIndent = indentOf(want[0]!);
  const replaceLines = trimBlankEdges(block.replace.split('\n')).map((l) =>
    l.startsWith(searchIndent) ? fileIndent + l.slice(searchIndent.length) : l,
  );
  const out = [...fileLines.slice(0, at), ...replaceLines, ...fileLines.slice(at + target.length)];
  return { ok: true, mode: 'whitespace', line: at + 1, content: out.join('\n') };
}
