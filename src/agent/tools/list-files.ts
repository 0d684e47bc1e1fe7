import ignore from 'ignore';
import { z } from 'zod';
import { listWorkspace } from '../../workspace/lister';
import { normaliseFolder } from '../../workspace/paths';
import { refusal } from './read-file';
import { short, toolArgs } from './schema';
import type { ListFilesArgs, ReadTool, ToolLimits } from './types';

/** list_files: workspace file names (gitignore-aware), optionally under a folder and matching a glob. */

const Args = z.strictObject({
  pattern: z.string().min(1).max(300).optional().describe('Glob in .gitignore syntax, e.g. "*.py" (any folder) or "src/**/*.ts" (from the root)'),
  path: z.string().min(1).max(1000).optional().describe('Folder to list, relative to the workspace root; default the root'),
});

/** A matcher for a glob written as a .gitignore line: `*.ts` anywhere, `src/**\/x` from the root. */
export function globMatcher(pattern: string | undefined): (rel: string) => boolean {
  if (!pattern) return () => true;
  const ig = ignore({ allowRelativePaths: true }).add(pattern.replace(/^\.\//, ''));
  return (rel) => ig.ignores(rel);
}

export function listFilesTool(limits: ToolLimits): ReadTool<ListFilesArgs> {
  const args = toolArgs(Args);
  const summary = (a: ListFilesArgs): string => `list_files ${short([a.path, a.pattern].filter(Boolean).join(' ') || '.')}`;
  return {
    name: 'list_files',
    kind: 'read',
    description: `List the workspace's files (names only; what .gitignore ignores is left out). Optionally under a folder ("path") and matching a glob ("pattern"). At most ${limits.listMaxFiles} names come back.`,
    ...args,
    summary,
    async run(a, ctx) {
      let under: string | undefined;
      try {
        under = normaliseFolder(a.path);
        const matches = globMatcher(a.pattern);
        const listing = listWorkspace(ctx.workspace, { under });
        const files = listing.files.filter(matches);
        const shown = files.slice(0, limits.listMaxFiles);
        const where = [under && `under ${under}/`, a.pattern && `matching ${a.pattern}`].filter(Boolean).join(' ');
        const head = files.length === 0 ? `no files${where ? ` ${where}` : ''}` : shown.join('\n');
        const more = files.length > shown.length ? `\n(${files.length - shown.length} more not shown; narrow with path or pattern)` : '';
        return { ok: true, output: head + more, summary: `${summary(a)} · ${files.length} files`, redactions: [] };
      } catch (err) {
        return refusal(err);
      }
    },
  };
}
