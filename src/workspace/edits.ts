import fs from 'node:fs';
import { isAimlError } from '../errors';
import { sha256 } from '../storage/blob-store';
import { applyBlock, type SearchReplace } from './match';
import { resolveEditPath } from './paths';
import { scanSecrets } from './secrets';

/**
 * The edit format: `write` gives a file's whole content (new files, or full rewrites), `patch`
 * gives search/replace blocks for an existing file, `delete` removes one. `prepareEdits` turns a
 * list of edits into the exact before/after content of every touched file, or precise problems;
 * it writes nothing.
 */

export type FileEdit =
  | { path: string; action: 'write'; content: string; why?: string }
  | { path: string; action: 'patch'; blocks: SearchReplace[]; why?: string }
  | { path: string; action: 'delete'; why?: string };

export interface PreparedFile {
  path: string; // relative, forward slashes
  before: string | null; // null: the file does not exist
  after: string | null; // null: the file is deleted
  beforeHash: string | null;
  afterHash: string | null;
  why: string;
}

export interface EditProblem {
  edit: number; // 1-based
  path: string;
  block?: number; // 1-based
  code: 'PATH_REFUSED' | 'NO_MATCH' | 'AMBIGUOUS' | 'EMPTY_SEARCH' | 'MISSING_FILE' | 'NOT_TEXT' | 'TOO_LARGE' | 'SECRET' | 'INVALID';
  message: string;
}

export interface EditLimits {
  maxFileBytes: number;
  maxFiles: number;
}

export const DEFAULT_EDIT_LIMITS: EditLimits = { maxFileBytes: 512 * 1024, maxFiles: 25 };

export const hashOf = (text: string | null): string | null => (text === null ? null : sha256(text));

/** Reads a workspace file as text, refusing binaries and oversized files. */
export function readText(abs: string, maxBytes: number): { text: string | null; problem?: { code: 'NOT_TEXT' | 'TOO_LARGE'; message: string } } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { text: null };
    throw err;
  }
  if (buf.length > maxBytes) return { text: null, problem: { code: 'TOO_LARGE', message: `the existing file is ${buf.length} bytes, over the ${maxBytes}-byte limit` } };
  if (buf.includes(0)) return { text: null, problem: { code: 'NOT_TEXT', message: 'the existing file is binary; aiml edits text files only' } };
  const text = buf.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(buf)) return { text: null, problem: { code: 'NOT_TEXT', message: 'the existing file is not valid UTF-8 text' } };
  return { text };
}

export function formatProblems(problems: EditProblem[]): string {
  return problems
    .map((p) => `- edit ${p.edit} (${p.path})${p.block ? `, block ${p.block}` : ''} [${p.code}]: ${p.message}`)
    .join('\n');
}

export function prepareEdits(root: string, edits: FileEdit[], limits: EditLimits = DEFAULT_EDIT_LIMITS): { files: PreparedFile[]; problems: EditProblem[] } {
  const problems: EditProblem[] = [];
  const files = new Map<string, PreparedFile>();
  edits.forEach((edit, i) => {
    const n = i + 1;
    const problem = (code: EditProblem['code'], message: string, block?: number): void => {
      problems.push({ edit: n, path: String(edit.path), code, message, ...(block ? { block } : {}) });
    };
    let rel: string;
    let abs: string;
    try {
      ({ rel, abs } = resolveEditPath(root, edit.path));
    } catch (err) {
      if (isAimlError(err, 'PATH_REFUSED')) return problem('PATH_REFUSED', err.message);
      throw err;
    }
    let file = files.get(rel);
    if (!file) {
      const read = readText(abs, limits.maxFileBytes);
      if (read.problem) return problem(read.problem.code, read.problem.message);
      file = { path: rel, before: read.text, after: read.text, beforeHash: hashOf(read.text), afterHash: null, why: edit.why?.trim() || '' };
    } else if (edit.why?.trim() && !file.why.includes(edit.why.trim())) {
      file.why = file.why ? `${file.why}; ${edit.why.trim()}` : edit.why.trim();
    }
    if (edit.action === 'write') {
      if (typeof edit.content !== 'string') return problem('INVALID', 'a write edit needs the whole file content');
      file.after = edit.content;
    } else if (edit.action === 'delete') {
      if (file.after === null) return problem('MISSING_FILE', 'cannot delete: the file does not exist');
      file.after = null;
    } else if (edit.action === 'patch') {
      if (file.after === null) return problem('MISSING_FILE', 'cannot patch: the file does not exist; use a write edit with the whole content to create it');
      if (!Array.isArray(edit.blocks) || edit.blocks.length === 0) return problem('INVALID', 'a patch edit needs at least one search/replace block');
      let content: string = file.after;
      for (let b = 0; b < edit.blocks.length; b++) {
        const out = applyBlock(content, edit.blocks[b]!);
        if (!out.ok) {
          const code = out.reason === 'ambiguous' ? 'AMBIGUOUS' : out.reason === 'empty_search' ? 'EMPTY_SEARCH' : 'NO_MATCH';
          return problem(code, out.message, b + 1);
        }
        content = out.content;
      }
      file.after = content;
    } else {
      return problem('INVALID', `unknown action "${(edit as { action?: unknown }).action}" (use write, patch or delete)`);
    }
    if (file.after !== null) {
      const bytes = Buffer.byteLength(file.after);
      if (bytes > limits.maxFileBytes) return problem('TOO_LARGE', `the new content is ${bytes} bytes, over the ${limits.maxFileBytes}-byte limit`);
      if (file.after.includes('\0')) return problem('NOT_TEXT', 'the new content contains NUL bytes; aiml writes text files only');
      const already = file.before === null ? [] : scanSecrets(file.before);
      const secrets = scanSecrets(file.after).filter((s) => !already.some((o) => o.kind === s.kind && o.redacted === s.redacted));
      if (secrets.length) {
        return problem('SECRET', `the content contains what looks like a secret: ${secrets.map((s) => `${s.kind} on line ${s.line} (${s.redacted})`).join('; ')}; read it from configuration instead`);
      }
    }
    files.set(rel, file);
  });
  const out = [...files.values()].map((f) => ({ ...f, afterHash: hashOf(f.after) })).filter((f) => f.beforeHash !== f.afterHash);
  if (out.length > limits.maxFiles) {
    problems.push({ edit: 0, path: '*', code: 'TOO_LARGE', message: `the step touches ${out.length} files, over the limit of ${limits.maxFiles}; split it` });
  }
  return { files: out, problems };
}
