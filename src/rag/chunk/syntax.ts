import Parser from 'web-tree-sitter';
import type { SymbolKind } from '../types';
import type { SymbolPiece } from './code';
import { GRAMMARS, SYNTAX_LANGUAGES, type NodeRule } from './grammars';
import { DEFAULT_WINDOW, lineWindows } from './lines';

type Node = Parser.SyntaxNode;

/**
 * Chunking through tree-sitter syntax trees (web-tree-sitter running the prebuilt grammars of
 * `tree-sitter-wasms`: WebAssembly, so nothing is compiled on install). The grammars load once per
 * process, asynchronously (`loadSyntax`); after that `splitSyntax` is synchronous. A language whose
 * grammar is not loaded, or a file that does not parse, gives undefined and the caller falls back.
 */
let ready: Promise<void> | undefined;
const parsers = new Map<string, Parser>();

export function loadSyntax(): Promise<void> {
  ready ??= (async () => {
    await Parser.init();
    for (const language of SYNTAX_LANGUAGES) {
      const grammar = await Parser.Language.load(require.resolve(`tree-sitter-wasms/out/${GRAMMARS[language]!.wasm}`));
      const parser = new Parser();
      parser.setLanguage(grammar);
      parsers.set(language, parser);
    }
  })();
  ready.catch(() => (ready = undefined)); // a failed load is retried by the next caller
  return ready;
}

export function syntaxLoaded(language: string): boolean {
  return parsers.has(language);
}

interface Def {
  node: Node;
  rule: NodeRule;
  name?: string;
  start: number; // 0-based row, leading comments and attributes included
}

const IDENT = /identifier|constant|^name$/;
const LEADING = /comment|attribute_item|annotation|decorator/;

/** The name a definition declares: its `name` field, the end of a C declarator chain, or the receiver type for Go methods. */
function nameOf(node: Node, language: string): string | undefined {
  if (language === 'go' && node.type === 'method_declaration') {
    const recv = /(\w+)(?:\[[^\]]*\])?\s*\)\s*$/.exec(node.childForFieldName('receiver')?.text ?? '')?.[1];
    const name = node.childForFieldName('name')?.text;
    return recv && name ? `${recv}.${name}` : name;
  }
  if (language === 'go' && node.type === 'type_declaration') return node.namedChildren.find((c) => c.type === 'type_spec')?.childForFieldName('name')?.text;
  if (node.type === 'impl_item') return node.childForFieldName('type')?.text.replace(/<[\s\S]*$/, '');
  const named = node.childForFieldName('name');
  if (named) return named.text.replace(/::/g, '.');
  let decl = node.childForFieldName('declarator');
  while (decl?.childForFieldName('declarator')) decl = decl.childForFieldName('declarator');
  if (decl && (IDENT.test(decl.type) || /qualified|destructor|operator/.test(decl.type))) return decl.text.replace(/::/g, '.');
  return node.namedChildren.find((c) => IDENT.test(c.type))?.text;
}

/** The rule for a node, looking through wrappers (C++ templates) to the definition inside. */
function resolve(node: Node, language: string): { rule: NodeRule; named: Node } | undefined {
  const rule = GRAMMARS[language]!.nodes[node.type];
  if (!rule) return undefined;
  if (!rule.wrapper) return { rule, named: node };
  for (const child of node.namedChildren) {
    const inner = resolve(child, language);
    if (inner && !inner.rule.wrapper) return inner;
  }
  return undefined;
}

/** The last row a node has text on (a node may end at column 0 of the row after its last line). */
function lastRow(node: Node): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
}

/**
 * Where a definition starts once the comments and attributes just above it are counted in: the
 * run of comment siblings right before it, or (where a grammar attaches comments to the node
 * before) that node's trailing comment children.
 */
function leadingStart(before: Node[], row: number): number {
  let start = row;
  for (let j = before.length - 1; j >= 0; j--) {
    const prev = before[j]!;
    if (!LEADING.test(prev.type)) {
      return lastRow(prev) >= start - 1 ? leadingStart(prev.children, start) : start;
    }
    const above = before[j - 1];
    if (lastRow(prev) < start - 1 || (above && lastRow(above) >= prev.startPosition.row)) break;
    start = prev.startPosition.row;
  }
  return start;
}

function defsIn(siblings: Node[], language: string): Def[] {
  const defs: Def[] = [];
  siblings.forEach((node, i) => {
    const r = resolve(node, language);
    if (!r) return;
    const start = leadingStart(siblings.slice(0, i), node.startPosition.row);
    defs.push({ node: r.named === node ? node : r.named, rule: r.rule, name: nameOf(r.named, language), start });
  });
  return defs;
}

function membersOf(node: Node): Node[] {
  const body = node.childForFieldName('body') ?? node.namedChildren.find((c) => /body|declaration_list/.test(c.type)) ?? node;
  return body.namedChildren;
}

/**
 * Splits source by its syntax tree: each definition (with its leading comments and attributes)
 * is a chunk whose `symbol` is its path (`Namespace.Class.method`); a container longer than one
 * chunk gives a header chunk and one chunk per member; code between definitions belongs to the
 * definition before it, code before the first to a `lines` chunk.
 */
export function splitSyntax(text: string, language: string): SymbolPiece[] | undefined {
  const parser = parsers.get(language);
  if (!parser) return undefined;
  let tree: Parser.Tree;
  try {
    tree = parser.parse(text);
  } catch {
    return undefined;
  }
  try {
    const lines = text.split('\n');
    const out: SymbolPiece[] = [];
    const emit = (from: number, to: number, symbol: string | undefined, kind: SymbolKind): void => {
      while (to > from && !lines[to - 1]!.trim()) to -= 1;
      if (to <= from || !lines.slice(from, to).some((l) => /\w/.test(l))) return;
      for (const piece of lineWindows(lines.slice(from, to), from + 1)) out.push({ ...piece, symbol, kind });
    };
    const region = (from: number, to: number, siblings: Node[], prefix: string | undefined, header: { symbol?: string; kind: SymbolKind }): void => {
      const defs = defsIn(siblings, language).filter((d) => d.start >= from && d.start < to);
      emit(from, defs[0]?.start ?? to, header.symbol, header.kind);
      defs.forEach((d, i) => {
        const end = Math.max(d.start + 1, defs[i + 1]?.start ?? to);
        const symbol = d.name ? (prefix ? `${prefix}.${d.name}` : d.name) : prefix;
        const open = d.rule.container && (d.rule.transparent || end - d.start > DEFAULT_WINDOW.maxLines);
        if (!open) return emit(d.start, end, symbol, d.rule.kind);
        const head = d.rule.transparent ? { symbol, kind: 'lines' as const } : { symbol, kind: d.rule.kind };
        region(d.start, end, membersOf(d.node), symbol, head);
      });
    };
    region(0, lines.length, tree.rootNode.namedChildren, undefined, { kind: 'lines' });
    return out.length ? out : undefined;
  } finally {
    tree.delete();
  }
}
