import { z } from 'zod';
import { redactSecrets, type Redaction } from '../../security/secrets';
import { checkFolder } from '../../workspace/lister';
import { codeIndex, folderPrefix } from './code-index';
import { refusal } from './read-file';
import { short, toolArgs, upTo } from './schema';
import type { ReadTool, SearchCodeArgs, ToolLimits } from './types';

/** search_code: ranked search of the workspace's code and docs by words and identifiers, and by meaning where the worker has local models; no knowledge base needed. */

/** Lines of each hit shown; read_file gives the rest. */
const SHOWN_LINES = 30;

export function searchCodeTool(limits: ToolLimits): ReadTool<SearchCodeArgs> {
  const args = toolArgs(
    z.strictObject({
      query: z.string().min(1).max(500).describe('What the code does or is called, in words or identifiers, e.g. "retry with backoff" or "parseGitIgnore"'),
      path: z.string().min(1).max(1000).optional().describe('Only under this folder (relative to the workspace root)'),
      k: upTo(limits.searchMaxK).optional().describe(`How many places (default 5, at most ${limits.searchMaxK})`),
    }),
  );
  const summary = (a: SearchCodeArgs): string => `search_code "${short(a.query, 50)}"${a.path ? ` in ${short(a.path, 30)}` : ''}`;
  return {
    name: 'search_code',
    kind: 'read',
    description:
      'Find where something is done in the workspace when you do not know its exact name: ranks functions, classes and doc sections by the words and identifiers of your query (camelCase and snake_case split, file and symbol names weighted) and, where the worker has local embedding models, by what it means: describe the behaviour in plain words, or give likely names. Answers the best places as "path:start-end (symbol)" with their first lines; read_file shows more.',
    ...args,
    summary,
    async run(a, ctx) {
      let under: string | undefined;
      try {
        under = folderPrefix(a.path);
        if (under) checkFolder(ctx.workspace, under.slice(0, -1));
      } catch (err) {
        return refusal(err);
      }
      const { index, files, truncated, pending, unembedded } = await codeIndex(ctx.workspace, ctx.signal, undefined, ctx.codeModels, limits.searchEmbedWaitMs);
      if (ctx.signal.aborted) return { ok: false, error: 'the search was cancelled' };
      let found: Awaited<ReturnType<typeof index.searchHybrid>>;
      try {
        found = await index.searchHybrid(a.query, a.k ?? Math.min(5, limits.searchMaxK), under ? { pathPrefix: under } : undefined, ctx.codeModels, ctx.signal);
      } catch {
        return { ok: false, error: 'the search was cancelled' };
      }
      const { hits, ranking } = found;
      const redactions: Redaction[] = [];
      const parts = hits.map(({ chunk }, i) => {
        const lines = chunk.text.split('\n');
        const shown = lines.slice(0, SHOWN_LINES).join('\n');
        const r = redactSecrets(shown, chunk.path);
        redactions.push(...r.redactions.map((x) => ({ ...x, line: chunk.startLine + x.line - 1 })));
        const more = lines.length > SHOWN_LINES ? `\n… (${lines.length - SHOWN_LINES} more lines: read_file ${chunk.path} from line ${chunk.startLine + SHOWN_LINES})` : '';
        return `[${i + 1}] ${chunk.path}:${chunk.startLine}-${chunk.endLine}${chunk.symbol ? ` (${chunk.symbol})` : ''}\n${r.text}${more}`;
      });
      const notes = [
        pending
          ? `the workspace is still being indexed: ${files} files so far, ${pending} to go; search again for the rest`
          : truncated
            ? `only the first ${files} files of the workspace are searched; narrow with path`
            : '',
        ctx.codeModels && ranking === 'lexical' && unembedded && !index.modelsFailed ? `ranked by words alone while the workspace is embedded for ranking by meaning: ${unembedded} pieces to go; search again shortly` : '',
        ctx.codeModels && ranking === 'lexical' && index.modelsFailed ? `ranked by words alone: the embedding models failed (${short(index.modelsFailed, 200)})` : '',
      ].filter(Boolean);
      const note = notes.map((n) => `\n(${n})`).join('');
      const body = parts.length ? parts.join('\n\n') + note : `nothing in ${files} files matches the query; try other words, or grep for an exact name${note}`;
      return { ok: true, output: body, summary: `${summary(a)} · ${hits.length} hits${ranking === 'lexical' ? '' : ` · ${ranking === 'refined' ? 'by meaning, refined' : 'by meaning'}`}`, redactions };
    },
  };
}
