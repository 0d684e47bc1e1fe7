import { z } from 'zod';
import { redactSecrets, type Redaction } from '../../security/secrets';
import { short, toolArgs, upTo } from './schema';
import type { KbSearchArgs, ReadTool, ToolLimits } from './types';

/** kb_search: the run's knowledge base (offered only when the run has one). */

export function kbSearchTool(limits: ToolLimits): ReadTool<KbSearchArgs> {
  const args = toolArgs(
    z.strictObject({
      query: z.string().min(1).max(1000).describe('What to look for, in words or code identifiers'),
      k: upTo(limits.kbMaxK).optional().describe(`How many passages (default 5, at most ${limits.kbMaxK})`),
    }),
  );
  const summary = (a: KbSearchArgs): string => `kb_search "${short(a.query, 50)}"`;
  return {
    name: 'kb_search',
    kind: 'read',
    description: "Search the run's knowledge base (documents and code ingested for this run) for passages relevant to a query.",
    ...args,
    summary,
    async run(a, ctx) {
      if (!ctx.kbSearch) return { ok: false, error: 'this run has no knowledge base' };
      const hits = await ctx.kbSearch(a.query, a.k ?? Math.min(5, limits.kbMaxK));
      const redactions: Redaction[] = [];
      const parts = hits.map((h, i) => {
        const r = redactSecrets(h.text, h.source);
        redactions.push(...r.redactions);
        return `[${i + 1}] ${h.source}\n${r.text}`;
      });
      return { ok: true, output: parts.length ? parts.join('\n\n') : 'no passages found', summary: `${summary(a)} · ${hits.length} hits`, redactions };
    },
  };
}
