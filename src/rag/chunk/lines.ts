/** A piece of a file before it gets an id: text plus its 1-based line range. */
export interface Piece {
  startLine: number;
  endLine: number;
  text: string;
}

export interface WindowOptions {
  maxLines: number;
  overlap: number;
  maxChars: number;
}

export const DEFAULT_WINDOW: WindowOptions = { maxLines: 60, overlap: 10, maxChars: 3000 };

/**
 * Fixed windows over `lines` (which start at line `first`), `overlap` lines shared between
 * neighbours; a window also closes early when it would pass `maxChars`.
 */
export function lineWindows(lines: string[], first: number, opts: WindowOptions = DEFAULT_WINDOW): Piece[] {
  const out: Piece[] = [];
  let start = 0;
  while (start < lines.length) {
    let end = start;
    let chars = 0;
    while (end < lines.length && end - start < opts.maxLines && (end === start || chars + lines[end]!.length + 1 <= opts.maxChars)) {
      chars += lines[end]!.length + 1;
      end += 1;
    }
    const text = lines.slice(start, end).join('\n');
    if (text.trim()) out.push({ startLine: first + start, endLine: first + end - 1, text: text.length > opts.maxChars * 2 ? text.slice(0, opts.maxChars * 2) : text });
    if (end >= lines.length) break;
    start = nextStart(lines, start, end, opts);
  }
  return out;
}

/**
 * Where the window after [start, end) begins: up to `overlap` lines back, but only as many as fit
 * in the character budget beside line `end`, so every window reaches a line the last one did not
 * (a window cut short by a long line would otherwise be followed by ever-shorter copies of its tail).
 */
function nextStart(lines: string[], start: number, end: number, opts: WindowOptions): number {
  let next = end;
  let room = opts.maxChars - (lines[end]!.length + 1);
  while (next > start + 1 && end - next < opts.overlap && room >= lines[next - 1]!.length + 1) {
    room -= lines[next - 1]!.length + 1;
    next -= 1;
  }
  return next;
}
