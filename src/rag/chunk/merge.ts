import type { SymbolKind } from '../types';
import { DEFAULT_WINDOW, type Piece } from './lines';

/** A piece with the symbol it defines (if any), before it gets an id. */
export interface NamedPiece extends Piece {
  symbol?: string;
  kind: SymbolKind;
}

/**
 * Pieces shorter than this (trimmed characters) are merged: a one-line constant, a lone import or
 * re-export, a closing brace. Alone, such a chunk carries one identifier and little else, and
 * ranks above the code that uses it for any question naming that identifier.
 */
export const MIN_CHUNK_CHARS = 80;

const size = (p: Piece): number => p.text.trim().length;

/** The file's lines from a's first line to b's last: a and b joined with what lies between. */
function span(lines: string[], a: Piece, b: Piece): string {
  return lines.slice(a.startLine - 1, b.endLine).join('\n');
}

/** A run naming more symbols than this is named by none: a list of 30 constants is no name. */
const MAX_RUN_SYMBOLS = 3;

/** The name of pieces joined into one run: the one symbol, or a few in order (`A, B, C`). */
function runOf(lines: string[], run: NamedPiece[]): NamedPiece {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const all = [...new Set(run.flatMap((p) => (p.symbol ? [p.symbol] : [])))];
  // A heading (`Guide`) or class (`Big`) whose section or member (`Guide > Errors`, `Big.m0`) is also in the run names nothing more.
  const symbols = all.filter((s) => !all.some((t) => t.startsWith(`${s} > `) || t.startsWith(`${s}.`)));
  const kinds = new Set(run.map((p) => p.kind));
  return {
    startLine: first.startLine,
    endLine: last.endLine,
    text: span(lines, first, last),
    symbol: symbols.length && symbols.length <= MAX_RUN_SYMBOLS ? symbols.join(', ') : undefined,
    kind: kinds.size === 1 ? first.kind : 'lines',
  };
}

/**
 * Merges pieces below `minChars` so that none stands alone. Consecutive small pieces (not
 * overlapping) first join each other, so a block of constants or of exports becomes one chunk
 * named by them (`A, B, C`; a longer run by none). A run that is still small joins the piece before it (or,
 * at the start of a file, the one after), keeping that piece's symbol and kind, when the joined
 * text stays within `maxChars`: appended at the end, it leaves the start of the larger piece,
 * which the embedding model reads first, as it was. Texts are the file's lines over the span.
 */
export function mergeSmall(pieces: NamedPiece[], lines: string[], minChars = MIN_CHUNK_CHARS, maxChars = DEFAULT_WINDOW.maxChars): NamedPiece[] {
  if (minChars <= 0) return pieces;
  const small = (p: Piece) => size(p) < minChars;
  // 1. Runs of adjacent small pieces become one piece.
  const grouped: NamedPiece[] = [];
  let run: NamedPiece[] = [];
  const flush = () => {
    if (run.length) grouped.push(run.length === 1 ? run[0]! : runOf(lines, run));
    run = [];
  };
  for (const p of pieces) {
    const prev = run[run.length - 1];
    if (small(p) && (!prev || (p.startLine > prev.endLine && span(lines, run[0]!, p).length <= maxChars))) {
      run.push(p);
      continue;
    }
    flush();
    if (small(p)) run.push(p);
    else grouped.push(p);
  }
  flush();
  // 2. A piece still small joins its neighbour: the one before, else the one after.
  const out: NamedPiece[] = [];
  for (let i = 0; i < grouped.length; i++) {
    const p = grouped[i]!;
    const before = out[out.length - 1];
    const after = grouped[i + 1];
    if (small(p) && before && p.startLine > before.endLine && span(lines, before, p).length <= maxChars) {
      out[out.length - 1] = { ...before, endLine: p.endLine, text: span(lines, before, p) };
    } else if (small(p) && after && after.startLine > p.endLine && span(lines, p, after).length <= maxChars) {
      grouped[i + 1] = { ...after, startLine: p.startLine, text: span(lines, p, after) };
    } else out.push(p);
  }
  return out;
}
