import fs from 'node:fs';
import path from 'node:path';
import { listWorkspace } from '../workspace/lister';

/** Workspace files that a brief touches, found by term overlap; plus the project's own manifest. */

export interface ContextFile {
  path: string; // relative to the workspace
  score: number;
  excerpt: string;
}

export interface RetrievedSnippet {
  path: string;
  startLine?: number;
  endLine?: number;
  score: number;
  text: string;
}

export interface DesignContext {
  files: ContextFile[];
  kb: RetrievedSnippet[];
}

const TEXT_EXT = /\.(md|mdx|txt|ts|tsx|js|jsx|mjs|cjs|py|go|rs|java|kt|rb|json|ya?ml|toml|sql|sh|css|html|proto|graphql)$/i;
const ALWAYS = /^(readme(\.\w+)?|package\.json|pyproject\.toml|go\.mod|cargo\.toml|requirements\.txt)$/i;
const STOP = new Set('the a an and or of to for in on with from by is are be as at that this it we our us use using build design system'.split(' '));

export function terms(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((t) => t.length > 2 && !STOP.has(t)),
  );
}

export function gatherWorkspaceContext(root: string, brief: string, opts: { maxFiles?: number; excerptBytes?: number } = {}): ContextFile[] {
  const maxFiles = opts.maxFiles ?? 8;
  const excerptBytes = opts.excerptBytes ?? 2000;
  if (!fs.existsSync(root)) return [];
  const wanted = terms(brief);
  const scored: ContextFile[] = [];
  for (const rel of listWorkspace(root, { limit: 5000 }).files) {
    const base = path.basename(rel);
    if (!TEXT_EXT.test(base) && !ALWAYS.test(base)) continue;
    let text: string;
    try {
      const fd = fs.openSync(path.join(root, rel), 'r');
      const buf = Buffer.alloc(excerptBytes);
      const n = fs.readSync(fd, buf, 0, excerptBytes, 0);
      fs.closeSync(fd);
      if (buf.subarray(0, n).includes(0)) continue; // binary
      text = buf.subarray(0, n).toString('utf8');
    } catch {
      continue;
    }
    const have = terms(`${rel} ${text}`);
    let score = 0;
    for (const t of wanted) if (have.has(t)) score += 1;
    if (ALWAYS.test(base) && !rel.includes('/')) score += 2;
    if (score > 0) scored.push({ path: rel, score, excerpt: text });
  }
  scored.sort((a, b) => b.score - a.score || a.path.localeCompare(b.path));
  return scored.slice(0, maxFiles);
}

export function renderContext(ctx: DesignContext): string {
  const parts: string[] = [];
  if (ctx.files.length) {
    parts.push('## Workspace files');
    for (const f of ctx.files) parts.push(`### ${f.path}\n\`\`\`\n${f.excerpt}\n\`\`\``);
  }
  if (ctx.kb.length) {
    parts.push('## Knowledge base');
    for (const k of ctx.kb) {
      const lines = k.startLine ? `:${k.startLine}-${k.endLine ?? k.startLine}` : '';
      parts.push(`### ${k.path}${lines}\n\`\`\`\n${k.text}\n\`\`\``);
    }
  }
  return parts.length ? parts.join('\n\n') : '(The workspace is empty and no knowledge base was given.)';
}
