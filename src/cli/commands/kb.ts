import type { Command } from 'commander';
import { loadLlmConfig } from '../../config';
import type { IngestProgress } from '../../contracts';
import { AimlError } from '../../errors';
import { LlmGateway } from '../../llm/gateway';
import type { ChunkFilter, SymbolKind } from '../../rag/types';
import { loadRagConfig } from '../../rag/config';
import { DEFAULT_LOCAL_MODEL, LOCAL_MODEL_NAMES, STATIC_LOCAL_MODEL } from '../../rag/embed/model-install';
import { checkKbRoot, KnowledgeBase } from '../../rag/knowledge-base';
import { createLlmReranker } from '../../rag/rerank';
import { HybridRetriever, type SearchMode } from '../../rag/retriever';
import { QdrantStore } from '../../rag/store/qdrant-store';
import { type CliContext, printJson } from '../context';
import { parsePositiveInt, parseWholeNumber } from '../options';
import { defaultKbName, resolveKbName, runIngest, summary } from './kb-common';
import { kbRegistry } from '../kb-registry';
import { registerKbFresh } from './kb-fresh';
import { existingDir, workerDir } from './kb-input';

function printResult(ctx: CliContext, result: IngestProgress, json?: boolean): void {
  if (json) printJson(ctx, result);
  else ctx.out(summary(result));
}

/** `aiml kb add|watch|schedule|sync|search|stats|rm`: knowledge bases that DESIGN and BUILD retrieve from. */
export function registerKb(program: Command, ctx: CliContext): void {
  const kb = program.command('kb').description('Knowledge bases: index a folder, keep it in sync, search it');

  kb.command('add')
    .description('Index a folder into a knowledge base (runs the ingest workflow on a worker; progress on stderr)')
    .argument('<dir>', 'folder to index (.gitignore is honoured)')
    .option('--kb <name>', 'knowledge-base name (default: the folder name)')
    .option('--model <name>', `local embedding model of a new knowledge base: ${LOCAL_MODEL_NAMES.join(', ')} (default: the worker's)`)
    .option('--adopt', 'take over a knowledge base another host indexed into the shared Qdrant: empty it and index this folder')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, flags: { kb?: string; model?: string; adopt?: boolean; json?: boolean }) => {
      if (flags.model !== undefined && !LOCAL_MODEL_NAMES.includes(flags.model)) throw new AimlError('USAGE', `--model ${flags.model} is not a local embedding model; use one of ${LOCAL_MODEL_NAMES.join(', ')}`);
      const abs = existingDir(dir);
      const name = flags.kb ?? defaultKbName(abs);
      const rag = loadRagConfig(ctx.env);
      if (rag.store.kind === 'qdrant') await QdrantStore.ping(rag.store.url, rag.store.apiKey); // fail before starting a run
      // A new knowledge base on a transformer model may be a long first sync: it says so, and what is faster.
      const reg = kbRegistry(ctx);
      const suggestFast = !flags.model && rag.embeddings.kind === 'local' && (rag.embeddings.model ?? DEFAULT_LOCAL_MODEL) !== STATIC_LOCAL_MODEL && !reg.exists(name);
      const input = { kb: name, dir: workerDir(abs, ctx.env), ...(flags.model ? { model: flags.model } : {}), ...(flags.adopt ? { adopt: true } : {}) };
      // Refused before any run starts (a sync of the other folder may be running, and would be joined).
      checkKbRoot(name, KnowledgeBase.readSettings(reg.dirOf(name))?.root, input.dir);
      printResult(ctx, await runIngest(ctx, input, { quiet: !!flags.json, suggestFast }), flags.json);
    });

  registerKbFresh(kb, ctx);

  kb.command('sync')
    .description('Bring a knowledge base up to date with its folder: changed files re-embedded, deleted ones removed')
    .option('--kb <name>', 'knowledge-base name (default: the only one)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { kb?: string; json?: boolean }) => {
      const name = resolveKbName(kbRegistry(ctx), flags.kb);
      printResult(ctx, await runIngest(ctx, { kb: name }, { quiet: !!flags.json }), flags.json);
    });

  kb.command('search')
    .description('Hybrid search (dense + BM25, fused) of a knowledge base; runs locally, no worker needed')
    .argument('<query>', 'what to look for')
    .option('--kb <name>', 'knowledge-base name (default: the only one)')
    .option('-k, --top <n>', 'number of results', '5')
    .option('--mode <mode>', 'hybrid (default), dense or lexical')
    .option('--path <prefix>', 'only files under this path prefix')
    .option('--lang <language>', 'only this language (typescript, python, markdown, …)')
    .option('--kind <kind>', 'only this symbol kind (function, class, section, lines, …)')
    .option('--per-file <n>', 'at most n results per file (default 2; 0: no limit)')
    .option('--no-refine', 'a minilm-static knowledge base: skip the second stage (MiniLM scoring the top 30 again)')
    .option('--rerank', 'reorder the top 20 fused candidates with the chat model (needs OPENAI_API_KEY or OPENAI_BASE_URL)')
    .option('--json', 'machine-readable output')
    .action(async (query: string, flags: { kb?: string; top: string; mode?: string; path?: string; lang?: string; kind?: string; perFile?: string; refine: boolean; rerank?: boolean; json?: boolean }) => {
      if (flags.mode && !['hybrid', 'dense', 'lexical'].includes(flags.mode)) throw new AimlError('USAGE', `--mode must be hybrid, dense or lexical, got "${flags.mode}"`);
      const k = parsePositiveInt('-k', flags.top);
      const perFile = flags.perFile === undefined ? undefined : parseWholeNumber('--per-file', flags.perFile);
      const rerank = flags.rerank ? createLlmReranker(new LlmGateway(loadLlmConfig(ctx.env, { requireEndpoint: true }))) : undefined; // no endpoint: LLM_NOT_CONFIGURED, exit 2 (a tiny local model cannot rank)
      const reg = kbRegistry(ctx);
      try {
        const name = resolveKbName(reg, flags.kb);
        const filter: ChunkFilter = {};
        if (flags.path) filter.pathPrefix = flags.path;
        if (flags.lang) filter.language = flags.lang;
        if (flags.kind) filter.kind = flags.kind as SymbolKind;
        const hits = await new HybridRetriever(reg).query(name, query, {
          k,
          mode: flags.mode as SearchMode | undefined,
          filter,
          perFile,
          refine: flags.refine,
          rerank,
          notice: (line) => ctx.err(`aiml: ${line}`),
        });
        if (flags.json) {
          printJson(ctx, hits.map(({ id: _id, ...h }) => h));
          return;
        }
        if (!hits.length) ctx.out('No results.');
        for (const h of hits) {
          ctx.out(`${h.score.toFixed(4)}  ${h.path}:${h.startLine}-${h.endLine}${h.symbol ? `  ${h.symbol}` : ''}\n        ${previewLine(h).slice(0, 100)}`);
        }
      } finally {
        await reg.closeAll();
      }
    });

  kb.command('stats')
    .alias('list')
    .description('Files, chunks, model and store of one knowledge base (or of all)')
    .option('--kb <name>', 'knowledge-base name (default: all)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { kb?: string; json?: boolean }) => {
      const reg = kbRegistry(ctx);
      try {
        const names = flags.kb ? [resolveKbName(reg, flags.kb)] : reg.list().map((k) => k.name);
        const stats = [];
        for (const n of names) stats.push(await (await reg.get(n)).stats());
        if (flags.json) printJson(ctx, flags.kb ? stats[0] : stats);
        else if (!stats.length) ctx.out('No knowledge bases.');
        else for (const s of stats) ctx.out(`${s.name}: ${s.files} files, ${s.chunks} chunks, ${s.model} (${s.dims}-d${s.refinedBy ? `, searches refined by ${s.refinedBy}` : ''}), ${s.store} store, root ${s.root || '(indexed by another host; searchable here)'}`);
      } finally {
        await reg.closeAll();
      }
    });

  kb.command('rm')
    .description('Delete a knowledge base and its vectors')
    .argument('[name]', 'knowledge-base name (or --kb)')
    .option('--kb <name>', 'knowledge-base name')
    .option('--json', 'machine-readable output')
    .action(async (positional: string | undefined, flags: { kb?: string; json?: boolean }) => {
      const name = positional ?? flags.kb;
      if (!name) throw new AimlError('USAGE', 'Name the knowledge base to delete: aiml kb rm <name>');
      const reg = kbRegistry(ctx);
      const removed = await reg.remove(name);
      if (!removed) throw new AimlError('KB_NOT_FOUND', `Knowledge base "${name}" does not exist`);
      if (flags.json) printJson(ctx, { removed: name });
      else ctx.out(`Removed knowledge base "${name}"`);
    });
}

/** A hit's first line worth showing: a section's first line of text (its heading is already in the symbol path), else its first line. */
export function previewLine(h: { text: string; kind?: string }): string {
  const lines = h.text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (h.kind === 'section' ? lines.find((l) => !l.startsWith('#')) : undefined) ?? lines[0] ?? '';
}
