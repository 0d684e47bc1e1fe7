import { z } from 'zod';
import { redactSecrets, type Redaction } from '../../security/secrets';
import { listWorkspace } from '../../workspace/lister';
import { normaliseFolder, protectedReason } from '../../workspace/paths';
import { grepInWorker } from './grep-worker';
import { globMatcher } from './list-files';
import { refusal } from './read-file';
import { flag, short, toolArgs } from './schema';
import type { GrepArgs, ReadTool, ToolLimits } from './types';

/** grep: a regular expression over the workspace's text files (gitignore-aware, secret stores skipped), hits capped. */

const Args = z.strictObject({
  pattern: z.string().min(1).max(500).describe('JavaScript regular expression, matched line by line'),
  glob: z.string().min(1).max(300).optional().describe('Only files matching this glob (.gitignore syntax), e.g. "*.py" or "src/**/*.ts"'),
  path: z.string().min(1).max(1000).optional().describe('Only under this folder (relative to the workspace root)'),
  case_insensitive: flag().optional(),
});

const MAX_FILE_BYTES = 2 * 1024 * 1024;

export function grepTool(limits: ToolLimits): ReadTool<GrepArgs> {
  const args = toolArgs(Args);
  const summary = (a: GrepArgs): string => `grep "${short(a.pattern, 50)}"${a.glob ? ` ${short(a.glob, 30)}` : ''}`;
  return {
    name: 'grep',
    kind: 'read',
    description: `Search the workspace's text files (what .gitignore ignores is left out) for a regular expression, line by line. Answers "path:line: text", at most ${limits.grepMaxHits} hits, long lines cut.`,
    ...args,
    summary,
    async run(a, ctx) {
      try {
        new RegExp(a.pattern);
      } catch (err) {
        return { ok: false, error: `the pattern is not a valid JavaScript regular expression: ${(err as Error).message}` };
      }
      let files: string[];
      try {
        const under = normaliseFolder(a.path);
        const matches = globMatcher(a.glob);
        files = listWorkspace(ctx.workspace, { under }).files.filter((f) => matches(f) && !protectedReason(f));
      } catch (err) {
        return refusal(err);
      }
      const job = { root: ctx.workspace, files, source: a.pattern, flags: a.case_insensitive ? 'i' : '', maxHits: limits.grepMaxHits, maxLineChars: limits.grepMaxLineChars, maxFileBytes: MAX_FILE_BYTES };
      const out = await grepInWorker(job, limits.grepTimeoutMs, ctx.signal);
      if (!out.ok) {
        return out.reason === 'timeout'
          ? { ok: false, error: `the search took over ${limits.grepTimeoutMs} ms and was stopped (a pattern with nested repetition can backtrack without end); use a simpler pattern or narrow it with glob or path` }
          : { ok: false, error: 'the search was cancelled' };
      }
      const redactions: Redaction[] = [];
      const lines = out.hits.map((h) => {
        const r = redactSecrets(h.text, h.path);
        redactions.push(...r.redactions.map((x) => ({ ...x, line: h.line })));
        return `${h.path}:${h.line}: ${r.text}`;
      });
      const n = out.hits.length;
      const body = n === 0 ? `no matches in ${out.filesSearched} files` : lines.join('\n') + (out.moreHits ? `\n(more than ${n} hits: only the first ${n} are shown; narrow the pattern, glob or path)` : '');
      return { ok: true, output: body, summary: `${summary(a)} · ${n}${out.moreHits ? '+' : ''} hits`, redactions };
    },
  };
}
