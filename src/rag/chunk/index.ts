import path from 'node:path';
import type { Chunk, SymbolKind } from '../types';
import { splitCode } from './code';
import { chunkId, sha256hex } from './ids';
import { lineWindows } from './lines';
import { splitMarkdown } from './markdown';
import { splitSyntax } from './syntax';

export { loadSyntax, syntaxLoaded } from './syntax';

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

/**
 * Splits one file into chunks by its kind: Markdown by heading; Go, Rust, Java, C#, C/C++, Ruby and
 * Kotlin by their syntax tree (once `loadSyntax()` has resolved); TS/JS/Python by symbol; the rest
 * by lines.
 */
export function chunkFile(relPath: string, text: string): Chunk[] {
  const language = languageOf(relPath);
  const pieces: { startLine: number; endLine: number; text: string; symbol?: string; kind: SymbolKind }[] =
    language === 'markdown'
      ? splitMarkdown(text).map((s) => ({ ...s, kind: 'section' as const }))
      : (['typescript', 'javascript', 'python'].includes(language) ? splitCode(text, language) : splitSyntax(text, language)) ??
        lineWindows(text.split('\n'), 1).map((p) => ({ ...p, kind: 'lines' as const }));
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
