import fs from 'node:fs';
import path from 'node:path';
import { isGenerated, listWorkspace } from '../workspace/lister';
import type { Redaction } from '../contracts/security';
import { redactSecrets } from '../security/secrets';

/** Workspace files that a brief touches, found by term overlap; plus the project's own manifest. */

export interface ContextFile {
  path: string; // relative to the workspace
  score: number;
  /** The start of the file, credentials replaced by `[REDACTED: …]` markers. */
  excerpt: string;
  redactions?: Redaction[];
}

export interface RetrievedSnippet {
  path: string;
  startLine?: number;
  endLine?: number;
  score: number;
  text: string;
  /** Credentials removed from `text` when it was retrieved. */
  redactions?: Redaction[];
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

/**
 * Limits of one context gathering (documented in README "Limits"): files looked at, files kept,
 * bytes read from the start of each kept file, characters of rendered context.
 */
export const CONTEXT_LIMITS = { scanFiles: 5000, maxFiles: 8, excerptBytes: 2000, renderedChars: 64_000 } as const;
/** Read past the excerpt so a credential that straddles its end is still seen whole, then removed. */
const SECRET_SLACK_BYTES = 1024;

export function gatherWorkspaceContext(root: string, brief: string, opts: { maxFiles?: number; excerptBytes?: number } = {}): ContextFile[] {
  const maxFiles = opts.maxFiles ?? CONTEXT_LIMITS.maxFiles;
  const excerptBytes = opts.excerptBytes ?? CONTEXT_LIMITS.excerptBytes;
  if (!fs.existsSync(root)) return [];
  const wanted = terms(brief);
  const scored: ContextFile[] = [];
  for (const rel of listWorkspace(root, { limit: CONTEXT_LIMITS.scanFiles }).files) {
    const base = path.basename(rel);
    if ((!TEXT_EXT.test(base) && !ALWAYS.test(base)) || isGenerated(rel)) continue;
    let text: string;
    try {
      const fd = fs.openSync(path.join(root, rel), 'r');
      const buf = Buffer.alloc(excerptBytes + SECRET_SLACK_BYTES);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
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
  return scored.slice(0, maxFiles).map((f) => {
    const { text, redactions } = redactSecrets(f.excerpt, f.path);
    return { ...f, excerpt: text.slice(0, excerptBytes), ...(redactions.length ? { redactions } : {}) };
  });
}

/** Every credential removed while gathering `ctx`. */
export function contextRedactions(ctx: DesignContext): Redaction[] {
  return [...ctx.files, ...ctx.kb].flatMap((x) => x.redactions ?? []);
}

/** The context as prompt text, at most `CONTEXT_LIMITS.renderedChars` characters. */
export function renderContext(ctx: DesignContext, maxChars: number = CONTEXT_LIMITS.renderedChars): string {
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
  if (!parts.length) return '(The workspace is empty and no knowledge base was given.)';
  const text = parts.join('\n\n');
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}\n… [context cut at ${maxChars} characters]`;
}
