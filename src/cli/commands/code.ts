import type { Command } from 'commander';
import { folderPrefix, wholeCodeIndex, type CodeHit } from '../../agent/tools/code-index';
import { agentTools } from '../../agent/tools/registry';
import type { CodeModels, ReadTool, SearchCodeArgs } from '../../agent/tools/types';
import { AimlError } from '../../errors';
import { loadRagConfig } from '../../rag/config';
import { redactSecrets } from '../../security/secrets';
import { type CliContext, printJson } from '../context';
import { parsePositiveInt } from '../options';
import { kbRegistry } from './kb-common';
import { existingDir } from './kb-input';

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
      const rag = loadRagConfig(ctx.env);
      const reg = kbRegistry(ctx);
      try {
        const models: CodeModels | undefined = flags.lexical || rag.codeSearch === 'lexical' ? undefined : { ...reg.codeModels(), notice: (line) => ctx.err(`aiml: ${line}`) };
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
