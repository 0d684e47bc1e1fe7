import fs from 'node:fs';
import type { Command } from 'commander';
import { folderPrefix, wholeCodeIndex, type CodeHit } from '../../agent/tools/code-index';
import { agentTools } from '../../agent/tools/registry';
import type { CodeModels, ReadTool, SearchCodeArgs } from '../../agent/tools/types';
import type { KbRegistry } from '../../rag/registry';
import { renderContext } from '../../design/context';
import { CONTEXT_EMBED_WAIT_MS, designContextQuery, planContextQuery, workspaceContext } from '../../design/workspace-context';
import { AimlError } from '../../errors';
import { loadRagConfig } from '../../rag/config';
import { redactSecrets } from '../../security/secrets';
import { type CliContext, printJson } from '../context';
import { parsePositiveInt } from '../options';
import { kbRegistry } from '../kb-registry';
import { existingDir, existingFile } from './kb-input';

/** Longest the command indexes before it answers from what it has. */
const MAX_WAIT_MS = 15 * 60_000;

/**
 * `aiml code search`: the BUILD agent's search_code, run here on a folder, so that a person sees
 * what the agent is shown for a query (the same index, models and text). Unlike the tool, it waits
 * until the whole folder is indexed and embedded, so it always answers as a warmed-up worker would.
 */
export function registerCode(program: Command, ctx: CliContext): void {
  const code = program.command('code').description("The BUILD agent's code search, run here on a folder (no worker needed)");

  code
    .command('search')
    .description('What search_code answers for a query: functions, classes and doc sections ranked by words and meaning')
    .argument('<query>', 'what the code does or is called, in words or identifiers')
    .option('--workspace <dir>', 'folder to search (default: the current directory)')
    .option('--path <folder>', 'only under this folder (relative to the workspace)')
    .option('-k, --top <n>', 'number of places, 1 to 10', '5')
    .option('--lexical', 'by words alone, as a worker with AIML_CODE_SEARCH=lexical')
    .option('--json', 'machine-readable output: the places, their scores and how they were ranked')
    .action(async (query: string, flags: { workspace?: string; path?: string; top: string; lexical?: boolean; json?: boolean }) => {
      if (!query.trim()) throw new AimlError('USAGE', 'The search query is empty');
      const k = parsePositiveInt('-k', flags.top);
      if (k > 10) throw new AimlError('USAGE', `-k must be at most 10 (search_code's limit), got ${k}`);
      const root = existingDir(flags.workspace ?? '.');
      const under = folderIn(flags.path);
      const reg = kbRegistry(ctx);
      try {
        const models = codeModels(ctx, reg, flags.lexical);
        const r = await wholeCodeIndex(root, models, MAX_WAIT_MS);
        if (flags.json) {
          const { hits, ranking } = await r.index.searchHybrid(query, k, under ? { pathPrefix: under } : undefined, models);
          printJson(ctx, { ranking, files: r.files, chunks: r.index.chunks.size, ...(r.index.modelsFailed ? { modelsFailed: r.index.modelsFailed } : {}), hits: hits.map(jsonHit) });
          return;
        }
        // The tool itself, so the text is exactly what the agent reads.
        const tool = agentTools().tools.get('search_code') as ReadTool<SearchCodeArgs>;
        const out = await tool.run({ query, k, ...(under ? { path: under } : {}) }, { workspace: root, signal: new AbortController().signal, codeModels: models });
        if (!out.ok) throw new AimlError('USAGE', out.error);
        ctx.err(`${out.summary} (${r.files} files, ${r.index.chunks.size} pieces)`);
        ctx.out(out.output);
      } finally {
        await reg.closeAll();
      }
    });

  registerContext(code, ctx);
}

/**
 * `aiml code context`: the workspace files a DESIGN would be shown for a brief (or, with `--spec`, a
 * BUILD plan for a spec), chosen as the worker chooses them, with the text the model reads. The
 * index is warmed first, as a worker that has searched the folder before would have it.
 */
function registerContext(code: Command, ctx: CliContext): void {
  code
    .command('context')
    .description('The workspace files a DESIGN is shown for a brief (with --spec, a BUILD plan for a spec), and their text')
    .argument('[brief]', 'the brief, as given to aiml design')
    .option('--spec <file>', "a spec file: the files its BUILD plan would be shown (the spec's own file left out)")
    .option('--workspace <dir>', 'the workspace (default: the current directory)')
    .option('--lexical', 'by words over file starts, as a worker with AIML_CODE_SEARCH=lexical')
    .option('--json', 'machine-readable output: how the files were chosen, and each one with its lines and text')
    .action(async (brief: string | undefined, flags: { spec?: string; workspace?: string; lexical?: boolean; json?: boolean }) => {
      if (flags.spec !== undefined && brief !== undefined) throw new AimlError('USAGE', 'Give a brief or --spec, not both');
      const root = existingDir(flags.workspace ?? '.');
      const spec = flags.spec === undefined ? undefined : fs.readFileSync(existingFile(flags.spec), 'utf8');
      if (!(spec ?? brief)?.trim()) throw new AimlError('USAGE', spec === undefined ? 'The brief is empty (or give --spec <file>)' : `The spec ${flags.spec} is empty`);
      // As the plan activity asks, or as the design activity does.
      const { query, opts } = spec === undefined ? designContextQuery(brief!) : planContextQuery(spec);
      const parts = query.parts.length;
      const reg = kbRegistry(ctx);
      try {
        const models = codeModels(ctx, reg, flags.lexical);
        if (models) await wholeCodeIndex(root, models, MAX_WAIT_MS);
        const found = await workspaceContext({ codeModels: models }, root, query, opts, undefined, CONTEXT_EMBED_WAIT_MS);
        if (flags.json) {
          printJson(ctx, { ranking: found.ranking, ...(found.why ? { why: found.why } : {}), ...(parts > 1 ? { parts } : {}), files: found.files.map(({ redactions, ...f }) => ({ ...f, ...(redactions?.length ? { redacted: redactions.length } : {}) })) });
          return;
        }
        const how = found.ranking === 'meaning' ? `by meaning${parts > 1 ? `, the ${spec === undefined ? 'brief' : 'spec'} searched in ${parts} parts` : ''}` : 'by words over file starts';
        ctx.err(`${found.files.length} files, ${how}${found.why ? ` (${found.why})` : ''}`);
        ctx.out(renderContext({ files: found.files, kb: [] }));
      } finally {
        await reg.closeAll();
      }
    });
}

/** The worker's local models for code search, as the worker has them (none with `--lexical` or AIML_CODE_SEARCH=lexical). */
function codeModels(ctx: CliContext, reg: KbRegistry, lexical: boolean | undefined): CodeModels | undefined {
  return lexical || loadRagConfig(ctx.env).codeSearch === 'lexical' ? undefined : { ...reg.codeModels(), notice: (line) => ctx.err(`aiml: ${line}`) };
}

/** `--path`: a folder inside the workspace, `/`-terminated (undefined: the whole workspace). */
function folderIn(value: string | undefined): string | undefined {
  try {
    return folderPrefix(value);
  } catch (err) {
    throw new AimlError('USAGE', `--path ${value}: ${(err as Error).message}`);
  }
}

function jsonHit({ chunk, score }: CodeHit) {
  const { text } = redactSecrets(chunk.text, chunk.path);
  return { path: chunk.path, startLine: chunk.startLine, endLine: chunk.endLine, ...(chunk.symbol ? { symbol: chunk.symbol } : {}), kind: chunk.kind, score: Math.round(score * 1e6) / 1e6, text };
}
