import fs from 'node:fs';
import { z } from 'zod';
import { isAimlError } from '../../errors';
import { redactSecrets } from '../../security/secrets';
import { readText } from '../../workspace/edits';
import { resolveReadPath } from '../../workspace/paths';
import { lineNumber, toolArgs, workspacePath } from './schema';
import type { ReadFileArgs, ReadTool, ToolLimits } from './types';

/** read_file: a file's lines with their numbers, a range at a time, within a size cap. */

const MAX_LINE_CHARS = 2000;
const MAX_FILE_BYTES = 8 * 1024 * 1024;

const Args = z.strictObject({
  path: workspacePath('File path relative to the workspace root'),
  start_line: lineNumber().optional().describe('First line to read (1-based); default 1'),
  end_line: lineNumber().optional().describe('Last line to read (inclusive); default as far as the size cap allows'),
});

/** Throws AimlError refusals as `{ ok: false }` messages; anything else is a real failure. */
export function refusal(err: unknown): { ok: false; error: string } {
  if (isAimlError(err)) return { ok: false, error: err.message };
  throw err;
}

export function readFileTool(limits: ToolLimits): ReadTool<ReadFileArgs> {
  const args = toolArgs(Args);
  return {
    name: 'read_file',
    kind: 'read',
    description: `Read a text file of the workspace. Lines come numbered ("  12 | text"). Give start_line/end_line to read a part; at most ${limits.readMaxLines} lines or ${limits.readMaxChars} characters come back at a time, with a note saying where to continue.`,
    ...args,
    summary: (a) => `read_file ${a.path}${a.start_line || a.end_line ? `:${a.start_line ?? 1}-${a.end_line ?? ''}` : ''}`,
    async run(a, ctx) {
      let abs: string;
      let rel: string;
      try {
        ({ abs, rel } = resolveReadPath(ctx.workspace, a.path));
      } catch (err) {
        return refusal(err);
      }
      if (!fs.statSync(abs).isFile()) return { ok: false, error: `"${rel}" is a folder; use list_files to see what is in it` };
      const read = readText(abs, MAX_FILE_BYTES);
      if (read.problem) return { ok: false, error: `cannot read "${rel}": ${read.problem.message}${read.problem.code === 'TOO_LARGE' ? '; use grep to find the part you need' : ''}` };
      const lines = read.text!.split('\n');
      if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
      const total = lines.length;
      const start = a.start_line ?? 1;
      if (total === 0 || (total === 1 && lines[0] === '')) return { ok: true, output: `(${rel} is empty)`, summary: `read_file ${rel} · empty`, redactions: [] };
      if (start > total) return { ok: false, error: `start_line ${start} is past the end: "${rel}" has ${total} lines` };
      if (a.end_line !== undefined && a.end_line < start) return { ok: false, error: `end_line ${a.end_line} is before start_line ${start}` };
      const wantEnd = Math.min(a.end_line ?? total, total);
      const picked: string[] = [];
      let chars = 0;
      for (let n = start; n <= wantEnd && picked.length < limits.readMaxLines; n++) {
        let line = lines[n - 1]!;
        if (line.length > MAX_LINE_CHARS) line = `${line.slice(0, MAX_LINE_CHARS)} … [${line.length - MAX_LINE_CHARS} characters cut]`;
        if (chars + line.length > limits.readMaxChars && picked.length > 0) break;
        picked.push(line);
        chars += line.length + 8;
      }
      const end = start + picked.length - 1;
      const redacted = redactSecrets(picked.join('\n'), rel);
      const width = String(end).length;
      const body = redacted.text
        .split('\n')
        .map((l, i) => `${String(start + i).padStart(width)} | ${l}`)
        .join('\n');
      const more = end < wantEnd ? `\n(lines ${start}-${end} of ${total} shown: the size cap was reached; read on with start_line=${end + 1})` : end < total ? `\n(lines ${start}-${end} of ${total})` : '';
      return { ok: true, output: body + more, summary: `read_file ${rel}:${start}-${end} · ${picked.length} lines`, redactions: redacted.redactions };
    },
  };
}
