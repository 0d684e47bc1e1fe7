/** The unit of retrieval: a slice of one file, with where it came from. */
export type SymbolKind = 'function' | 'class' | 'interface' | 'type' | 'enum' | 'variable' | 'section' | 'lines';

export interface ChunkMeta {
  path: string; // relative to the knowledge base's root, `/`-separated
  language: string;
  symbol?: string;
  kind: SymbolKind;
  startLine: number; // 1-based, inclusive
  endLine: number;
  hash: string; // sha256 of the chunk text
}

export interface Chunk extends ChunkMeta {
  id: string; // derived from path and hash: the same chunk is always the same point
  text: string;
}

/** Metadata filters, shared by every store and the lexical index. */
export interface ChunkFilter {
  pathPrefix?: string;
  language?: string | string[];
  kind?: SymbolKind | SymbolKind[];
}

export interface ScoredId {
  id: string;
  score: number;
}

export function matchesFilter(meta: ChunkMeta, filter?: ChunkFilter): boolean {
  if (!filter) return true;
  if (filter.pathPrefix && !meta.path.startsWith(filter.pathPrefix)) return false;
  if (filter.language && !oneOf(meta.language, filter.language)) return false;
  if (filter.kind && !oneOf(meta.kind, filter.kind)) return false;
  return true;
}

function oneOf<T>(v: T, want: T | T[]): boolean {
  return Array.isArray(want) ? want.includes(v) : v === want;
}
