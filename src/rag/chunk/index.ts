import path from 'node:path';
import type { Chunk, SymbolKind } from '../types';
import { splitCode } from './code';
import { chunkId, sha256hex } from './ids';
import { lineWindows } from './lines';
import { splitMarkdown } from './markdown';
import { mergeSmall, MIN_CHUNK_CHARS, type NamedPiece } from './merge';
import { splitSyntax } from './syntax';

export { loadSyntax, syntaxLoaded } from './syntax';
export { MIN_CHUNK_CHARS } from './merge';

const LANGUAGES: Record<string, string> = {
  '.ts': 'typescript', '.tsx': 'typescript', '.mts': 'typescript', '.cts': 'typescript',
  '.js': 'javascript', '.jsx': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript',
  '.py': 'python', '.pyi': 'python', '.md': 'markdown', '.mdx': 'markdown', '.markdown': 'markdown',
  '.go': 'go', '.rs': 'rust', '.java': 'java', '.kt': 'kotlin', '.rb': 'ruby', '.c': 'c', '.h': 'c',
  '.cc': 'cpp', '.cpp': 'cpp', '.hpp': 'cpp', '.cs': 'csharp', '.php': 'php', '.swift': 'swift',
  '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml', '.toml': 'toml', '.sql': 'sql', '.sh': 'shell',
  '.html': 'html', '.css': 'css', '.txt': 'text', '.rst': 'text',
};

export function languageOf(file: string): string {
  return LANGUAGES[path.extname(file).toLowerCase()] ?? 'text';
}

export interface ChunkOptions {
  /** Pieces shorter than this many characters are merged into a neighbour (0: never). Default MIN_CHUNK_CHARS. */
  minChars?: number;
}

/**
 * Splits one file into chunks by its kind: Markdown by heading; Go, Rust, Java, C#, C/C++, Ruby and
 * Kotlin by their syntax tree (once `loadSyntax()` has resolved); TS/JS/Python by symbol; the rest
 * by lines. Pieces below `minChars` are then merged into a neighbour (merge.ts).
 */
export function chunkFile(relPath: string, text: string, opts: ChunkOptions = {}): Chunk[] {
  const language = languageOf(relPath);
  const lines = text.split('\n');
  const split: NamedPiece[] =
    language === 'markdown'
      ? splitMarkdown(text).map((s) => ({ ...s, kind: 'section' as SymbolKind }))
      : (['typescript', 'javascript', 'python'].includes(language) ? splitCode(text, language) : splitSyntax(text, language)) ??
        lineWindows(lines, 1).map((p) => ({ ...p, kind: 'lines' as const }));
  const pieces = mergeSmall(split, lines, opts.minChars ?? MIN_CHUNK_CHARS);
  const seen = new Set<string>();
  const out: Chunk[] = [];
  for (const p of pieces) {
    const hash = sha256hex(p.text);
    const id = chunkId(relPath, `${hash}:${seen.has(hash) ? p.startLine : ''}`);
    seen.add(hash);
    out.push({ id, path: relPath, language, symbol: p.symbol, kind: p.kind, startLine: p.startLine, endLine: p.endLine, hash, text: p.text });
  }
  return out;
}
