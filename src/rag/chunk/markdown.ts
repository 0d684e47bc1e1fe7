import { lineWindows, type Piece } from './lines';

export interface Section extends Piece {
  symbol?: string; // the heading trail, "Install > From source"
}

interface Heading {
  line: number; // 0-based
  level: number;
  title: string;
}

function headings(lines: string[]): Heading[] {
  const out: Heading[] = [];
  let fence: string | undefined;
  lines.forEach((line, i) => {
    const f = /^\s*(```|~~~)/.exec(line);
    if (f) fence = fence ? (fence === f[1] ? undefined : fence) : f[1];
    if (fence || f) return;
    const h = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (h) out.push({ line: i, level: h[1]!.length, title: h[2]! });
  });
  return out;
}

/** Markdown split at headings (outside code fences); long sections fall back to line windows. */
export function splitMarkdown(text: string): Section[] {
  const lines = text.split('\n');
  const heads = headings(lines);
  const starts: (Heading | undefined)[] = heads[0]?.line === 0 ? heads : [undefined, ...heads];
  const trail: Heading[] = [];
  const out: Section[] = [];
  starts.forEach((h, i) => {
    const from = h?.line ?? 0;
    let to = starts[i + 1]?.line ?? lines.length;
    while (to > from + 1 && !lines[to - 1]!.trim()) to -= 1; // trailing blank lines belong to no one
    if (h) {
      while (trail.length && trail[trail.length - 1]!.level >= h.level) trail.pop();
      trail.push(h);
    }
    const symbol = h ? trail.map((t) => t.title).join(' > ') : undefined;
    for (const piece of lineWindows(lines.slice(from, to), from + 1)) out.push({ ...piece, symbol });
  });
  return out;
}
