import type { SymbolKind } from '../types';
import { DEFAULT_WINDOW, lineWindows, type Piece } from './lines';

export interface SymbolPiece extends Piece {
  symbol?: string;
  kind: SymbolKind;
}

interface Decl {
  line: number; // 0-based line of the declaration keyword
  symbol: string;
  kind: SymbolKind;
}

const TS_DECL =
  /^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(function\*?|class|interface|type|enum|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)/;
const TS_KIND: Record<string, SymbolKind> = {
  function: 'function', 'function*': 'function', class: 'class', interface: 'interface', type: 'type',
  enum: 'enum', const: 'variable', let: 'variable', var: 'variable', namespace: 'class',
};
const PY_DECL = /^(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)/;

function tsDecls(lines: string[]): Decl[] {
  const out: Decl[] = [];
  lines.forEach((line, i) => {
    const m = TS_DECL.exec(line);
    if (!m) return;
    let kind = TS_KIND[m[1]!] ?? 'variable';
    // `const f = (…) =>` and `const f = function` are functions.
    if (kind === 'variable' && /=\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[A-Za-z_$][\w$]*\s*=>)/.test(line)) kind = 'function';
    out.push({ line: i, symbol: m[2]!, kind });
  });
  return out;
}

function pyDecls(lines: string[]): Decl[] {
  const out: Decl[] = [];
  lines.forEach((line, i) => {
    const m = PY_DECL.exec(line);
    if (m) out.push({ line: i, symbol: m[2]!, kind: m[1] === 'class' ? 'class' : 'function' });
  });
  return out;
}

/** Walks up from a declaration over the doc comments, decorators and blank-free lines that belong to it. */
function leadingStart(lines: string[], line: number, floor: number, python: boolean): number {
  let i = line;
  while (i - 1 >= floor) {
    const prev = lines[i - 1]!;
    const t = prev.trim();
    const belongs = python
      ? t.startsWith('@') || t.startsWith('#')
      : t.startsWith('//') || t.startsWith('/*') || t.startsWith('*') || t.endsWith('*/') || t.startsWith('@');
    if (!belongs || !t) break;
    i -= 1;
  }
  return i;
}

/**
 * Source split at top-level declarations: each function, class, interface, type, enum or
 * top-level binding (with its doc comment and decorators) is one chunk; the code between them
 * (imports, statements) is a `lines` chunk. Long symbols are split into overlapping windows that
 * keep the symbol's name. Returns undefined when the file has no recognisable declarations.
 */
export function splitCode(text: string, language: string): SymbolPiece[] | undefined {
  const python = language === 'python';
  const lines = text.split('\n');
  const decls = python ? pyDecls(lines) : tsDecls(lines);
  if (!decls.length) return undefined;
  const out: SymbolPiece[] = [];
  const starts = decls.map((d, i) => leadingStart(lines, d.line, i === 0 ? 0 : decls[i - 1]!.line + 1, python));
  const emit = (from: number, to: number, symbol: string | undefined, kind: SymbolKind): void => {
    while (to > from && !lines[to - 1]!.trim()) to -= 1;
    if (to <= from) return;
    for (const piece of lineWindows(lines.slice(from, to), from + 1)) out.push({ ...piece, symbol, kind });
  };
  emit(0, starts[0]!, undefined, 'lines');
  decls.forEach((d, i) => {
    const from = starts[i]!;
    const to = i + 1 < decls.length ? starts[i + 1]! : lines.length;
    const members = d.kind === 'class' && to - from > DEFAULT_WINDOW.maxLines ? memberStarts(lines, d.line + 1, to, python) : [];
    if (!members.length) return emit(from, to, d.symbol, d.kind);
    // A long class: its header, then one chunk per method, named Class.method.
    emit(from, members[0]!.from, d.symbol, 'class');
    members.forEach((m, j) => emit(m.from, members[j + 1]?.from ?? to, `${d.symbol}.${m.name}`, 'function'));
  });
  return out;
}

const TS_MEMBER = /^(\s+)(?:(?:public|private|protected|static|async|readonly|override|abstract|get|set)\s+)*(?:\*\s*)?(#?[A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\(/;
const PY_MEMBER = /^(\s+)(?:async\s+)?def\s+([A-Za-z_]\w*)/;
const NOT_METHODS = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'function', 'constructor_']);

/** Method starts at the class body's first indentation level, each with its leading comments. */
function memberStarts(lines: string[], from: number, to: number, python: boolean): { from: number; name: string }[] {
  const re = python ? PY_MEMBER : TS_MEMBER;
  let indent: number | undefined;
  const out: { from: number; name: string }[] = [];
  for (let i = from; i < to; i++) {
    const m = re.exec(lines[i]!);
    if (!m || NOT_METHODS.has(m[2]!)) continue;
    indent ??= m[1]!.length;
    if (m[1]!.length !== indent) continue;
    const floor = out.length ? out[out.length - 1]!.from + 1 : from;
    out.push({ from: leadingStart(lines, i, floor, python), name: m[2]! });
  }
  return out;
}
